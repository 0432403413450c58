"""The in-process Hugging Face path with a tiny random model and a tokenizer built here."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("transformers")

from clawgym.agent import AgentConfig, LLMAgent, rollout  # noqa: E402
from clawgym.models import SamplingParams, load_model  # noqa: E402
from clawgym.models._hf import HFModel  # noqa: E402
from tests.conftest import requires_bwrap  # noqa: E402

CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
CHATML_TOOLS = ("{% if tools %}<|im_start|>system\n{% for t in tools %}{{ t | tojson }}\n{% endfor %}<|im_end|>\n"
                "{% endif %}" + CHATML)


def build(path, *, template: str = CHATML, max_positions: int = 16384):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    corpus = ["read write edit exec process path content command workspace output input json",
              '<tool_call>{"name": "write", "arguments": {"path": "a.txt"}}</tool_call>'] * 20
    tok.train_from_iterator(corpus, trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<pad>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    hf_tok = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<pad>",
                                     bos_token="<|im_start|>")
    hf_tok.chat_template = template
    import torch

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(hf_tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=max_positions,
                      eos_token_id=hf_tok.eos_token_id, pad_token_id=hf_tok.pad_token_id,
                      bos_token_id=hf_tok.bos_token_id)
    LlamaForCausalLM(cfg).save_pretrained(path)
    hf_tok.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build(tmp_path_factory.mktemp("tiny"))


def test_generation_returns_token_ids_logprobs_and_usage(tiny):
    model = load_model(f"hf:{tiny}")
    resp = model.chat([{"role": "user", "content": "hello"}], None,
                      SamplingParams(max_tokens=12, temperature=0.8, seed=1))
    assert resp.token_ids and len(resp.logprobs) == len(resp.token_ids) == resp.usage.completion_tokens
    assert all(lp <= 0 for lp in resp.logprobs) and resp.usage.prompt_tokens > 5
    again = model.chat([{"role": "user", "content": "hello"}], None, SamplingParams(max_tokens=12, temperature=0.8, seed=1))
    assert again.token_ids == resp.token_ids  # the seed is honoured


def test_tools_go_to_the_system_prompt_when_the_template_ignores_them(tiny, tmp_path):
    from clawgym.agent import TOOL_SCHEMAS

    model = load_model(f"hf:{tiny}")
    assert not model.template_has_tools()
    text = model.render([{"role": "user", "content": "hi"}], TOOL_SCHEMAS)
    assert '"name": "exec"' in text and "<tool_call>" in text
    native = HFModel.from_pretrained(build(tmp_path / "native", template=CHATML_TOOLS))
    assert native.template_has_tools()
    text = native.render([{"role": "user", "content": "hi"}], TOOL_SCHEMAS)
    assert '"exec"' in text and "# Tools" not in text


def test_past_tool_calls_render_as_text_for_text_only_templates(tiny):
    model = load_model(f"hf:{tiny}")
    msgs = [{"role": "user", "content": "go"},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "read", "arguments": '{"path": "a"}'}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "file text"}]
    text = model.render(msgs, None)
    assert '<tool_call>\n{"name": "read", "arguments": {"path": "a"}}\n</tool_call>' in text
    assert "<tool_response>\nfile text\n</tool_response>" in text


@requires_bwrap
def test_hf_agent_runs_end_to_end(tiny, repo_tasks):
    task = next(t for t in repo_tasks if t.id == "task_0185")
    agent = LLMAgent(load_model(f"hf:{tiny}"), AgentConfig(max_steps=2, sampling=SamplingParams(max_tokens=16)))
    traj = rollout(task, agent)
    assert traj.status == "done" and traj.stop_reason in ("final", "max_steps", "malformed_tool_calls", "max_tokens")
    assert traj.steps and all(s.token_ids and len(s.logprobs) == len(s.token_ids) for s in traj.steps)
    assert traj.verification.status == "ok" and traj.score == 0.0
    json.loads(traj.model_dump_json())


@requires_bwrap
def test_context_window_is_a_budget_not_a_crash(tmp_path, repo_tasks):
    small = build(tmp_path / "small", max_positions=64)
    traj = rollout(repo_tasks[0], LLMAgent(load_model(f"hf:{small}")))
    assert traj.stop_reason == "context_length" and traj.status == "done" and traj.verification is not None
