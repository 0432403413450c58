"""The synthesis engine on its own: structured answers with repair turns, the response cache,
accounting, the concurrency limit, redaction, the stage ledger, inputs and sampling, dedup."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter

import pytest
from pydantic import BaseModel

from clawgym.models import ChatModel, ModelError, ModelResponse, SamplingParams, Usage, load_model
from clawgym.synth import (
    Caps, LedgerError, NearDuplicateIndex, Pricing, Redactor, Rejected, ResponseCache, StageEvent, StageLedger,
    StageUsage, SynthEngine, SynthInputError, TaskDraft, dedup, load_operations, load_personas, load_taxonomy,
    sample_specs,
)
from tests.openai_server import FaultServer, completion

KEY = "sk-live-abcdefghijklmnop0123456789"


class Pair(BaseModel):
    name: str
    count: int


def _engine(server, tmp_path=None, **kw):
    model = load_model("openai:m", base_url=server.url, api_key=KEY, total_timeout_s=10)
    cache = ResponseCache(tmp_path / "cache.sqlite") if tmp_path is not None else None
    return SynthEngine(model, cache=cache, redactor=Redactor([KEY]), **kw)


ASK = [{"role": "user", "content": "give me a pair"}]


def test_valid_answer_first_time():
    with FaultServer([("json", completion('```json\n{"name": "a", "count": 2}\n```'))]) as server:
        ans = _engine(server).structured("s", ASK, Pair)
    assert ans.value == Pair(name="a", count=2) and ans.repairs == 0 and len(ans.prompt_hash) == 16


def test_schema_errors_are_fed_back_then_repaired():
    with FaultServer([("json", completion("{not json")), ("json", completion('{"name": "a"}')),
                      ("json", completion('{"name": "a", "count": 3}'))]) as server:
        usage = StageUsage()
        ans = _engine(server, max_repairs=2).structured("s", ASK, Pair, usage=usage)
        second, third = server.requests[1]["body"]["messages"], server.requests[2]["body"]["messages"]
    assert ans.value.count == 3 and ans.repairs == 2 and usage.repairs == 2 and usage.calls == 3
    assert "not one JSON object" in second[-1]["content"] and second[-2] == {"role": "assistant", "content": "{not json"}
    assert "count: Field required" in third[-1]["content"]


def test_rejected_with_the_reason_after_n_repairs():
    with FaultServer([], default=("json", completion('{"name": "a", "count": "many"}'))) as server:
        with pytest.raises(Rejected) as exc:
            _engine(server, max_repairs=1).structured("gen", ASK, Pair)
        assert len(server.requests) == 2
    assert exc.value.stage == "gen" and exc.value.kind == "schema"
    assert "count: Input should be a valid integer" in exc.value.reason and "after 1 repair turn" in exc.value.reason


def test_cache_same_request_same_answer_no_second_call(tmp_path):
    with FaultServer([("json", completion('{"name": "a", "count": 1}')),
                      ("json", completion('{"name": "b", "count": 2}')),
                      ("json", completion('{"name": "c", "count": 3}'))]) as server:
        eng = _engine(server, tmp_path)
        p = SamplingParams(temperature=0.7, seed=1)
        u = StageUsage()
        a = eng.structured("s", ASK, Pair, params=p, usage=u)
        b = eng.structured("s", ASK, Pair, params=p, usage=u)
        c = eng.structured("s", ASK, Pair, params=SamplingParams(temperature=0.7, seed=2), usage=u)
        assert len(server.requests) == 2
        eng.cache.close()
        # a new process (a new cache handle on the same file) is answered from disk
        eng2 = _engine(server, tmp_path)
        assert eng2.structured("s", ASK, Pair, params=p).value == a.value
        assert len(server.requests) == 2
    assert a.value == b.value and c.value.name == "b"
    assert u.calls == 3 and u.cache_hits == 1 and u.prompt_tokens == 20 and u.cached_prompt_tokens == 10


def test_cost_accounting():
    assert Pricing(input_per_mtok=2.0, output_per_mtok=8.0).cost(1_000_000, 500_000) == pytest.approx(6.0)


class _Slow(ChatModel):
    name = "slow"

    def __init__(self):
        self.now = self.peak = 0
        self.lock = threading.Lock()

    def chat(self, messages, tools=None, params=None, *, timeout_s=None):
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        time.sleep(0.05)
        with self.lock:
            self.now -= 1
        return ModelResponse(content=json.dumps({"name": messages[0]["content"], "count": 1}), usage=Usage())


def test_concurrency_limit_holds_whatever_the_caller_threads():
    model = _Slow()
    eng = SynthEngine(model, concurrency=2)
    threads = [threading.Thread(target=eng.structured, args=("s", [{"role": "user", "content": str(i)}], Pair))
               for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert model.peak == 2 and eng.session["s"].calls == 8


def test_model_failure_is_not_a_rejection():
    with FaultServer([], default=("status", 500)) as server:
        model = load_model("openai:m", base_url=server.url, api_key=KEY, total_timeout_s=1)
        model.backoff_s = 0.01
        with pytest.raises(ModelError) as exc:
            SynthEngine(model).structured("s", ASK, Pair)
    assert KEY not in str(exc.value)


def test_redactor_masks_given_secrets_and_credential_shapes():
    r = Redactor([KEY, "abc"])  # too short to mask safely: ignored
    text = r.text(f"key={KEY} Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.x ghp_{'a' * 30} api_key: 'zzzzzzzzzz'")
    assert KEY not in text and "eyJhbGci" not in text and "ghp_" not in text and "zzzzzzzzzz" not in text
    assert r.text("abc def") == "abc def"
    assert r.obj({"a": [KEY]}) == {"a": ["[REDACTED]"]}


def test_ledger_appends_once_survives_reopen_and_has_one_writer(tmp_path):
    with StageLedger(tmp_path, redactor=Redactor([KEY])) as led:
        led.append(StageEvent(record_id="r1", stage="generate", verdict="ok", payload={"k": KEY}))
        with pytest.raises(LedgerError, match="already recorded"):
            led.append(StageEvent(record_id="r1", stage="generate", verdict="rejected"))
        with pytest.raises(LedgerError, match="being written by process"):
            StageLedger(tmp_path)
        led.append_many([StageEvent(record_id=f"r{i}", stage="dedup", verdict="ok") for i in range(2, 4)])
    with StageLedger(tmp_path) as led:
        events = led.events()
        assert [(e.record_id, e.stage) for e in events] == [("r1", "generate"), ("r2", "dedup"), ("r3", "dedup")]
        assert events[0].payload == {"k": "[REDACTED]"}
    assert KEY.encode() not in (tmp_path / "ledger.sqlite").read_bytes()


def test_shipped_inputs_have_the_clawgym_taxonomy():
    tax, ops, personas = load_taxonomy(), load_operations(), load_personas()
    assert len(tax) == 11 and sum(len(c.subcategories) for c in tax) == 51
    assert sum(len(g.operations) for g in ops) == 19 and [g.id for g in ops if g.needs_internet] == ["web"]
    assert 20 <= len(personas) <= 50 and len({p.id for p in personas}) == len(personas)


def test_stratified_sampling_is_balanced_compatible_seeded_and_prefix_stable():
    tax, ops, personas = load_taxonomy(), load_operations(), load_personas()
    specs = sample_specs(personas, tax, ops, 110, seed=3)
    per_cat = Counter(s.category for s in specs)
    assert set(per_cat.values()) == {10}
    allowed = {c.name: {op for g in ops if g.id in c.operation_groups for op in g.operations} for c in tax}
    web = {op for g in ops if g.needs_internet for op in g.operations}
    for s in specs:
        assert 2 <= len(s.operations) <= 3 and set(s.operations) <= allowed[s.category] and not set(s.operations) & web
    sub_counts = Counter((s.category, s.subcategory) for s in specs)
    assert max(sub_counts.values()) - min(sub_counts.values()) <= 1
    assert Counter(s.persona_id for s in specs[:len(personas)]).most_common(1)[0][1] == 1
    assert sample_specs(personas, tax, ops, 40, seed=3) == specs[:40]
    assert sample_specs(personas, tax, ops, 40, seed=4) != specs[:40]


def test_persona_hub_jsonl_and_clawgym_seed_formats(tmp_path):
    hub = tmp_path / "hub.jsonl"
    hub.write_text('{"input persona": "A beekeeper who logs hive weights."}\n\n{"persona": "A chess coach."}\n')
    assert [p.text for p in load_personas(hub)] == ["A beekeeper who logs hive weights.", "A chess coach."]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"persona": "ok"}\n{"name": "no persona"}\n')
    with pytest.raises(SynthInputError, match=r"bad.jsonl:2: no persona text"):
        load_personas(bad)
    cat = tmp_path / "category2.json"
    cat.write_text(json.dumps([{"category": "A", "subcategories": ["a1", "a2"]}]))
    act = tmp_path / "action.json"
    act.write_text(json.dumps([{"category": "Web Information Retrieval", "actions": ["search"]},
                               {"category": "Files", "actions": ["read", "write"]}]))
    tax, ops = load_taxonomy(cat), load_operations(act)
    assert tax[0].name == "A" and [g.needs_internet for g in ops] == [True, False]
    specs = sample_specs(load_personas(hub), tax, ops, 4, seed=0, ops_per_task=(1, 2))
    assert all(set(s.operations) <= {"read", "write"} for s in specs)


BASE = "Please read input/sales.csv and compute the total revenue per region, then write out/summary.json with " \
       "keys region and total sorted by total descending, ties by region name."


def test_dedup_finds_near_duplicates_across_categories_and_batches():
    near = BASE.replace("ties by region name", "ties by the region name")
    other = "Draft a polite email to the landlord about the broken heater using the notes in input/notes.md."
    verdicts = dedup([("a", BASE), ("b", near), ("c", other), ("d", other.upper())])
    assert verdicts == {"a": None, "b": "a", "c": None, "d": "c"}
    assert dedup([("new", near)], against=[("old", BASE)]) == {"new": "old"}
    idx = NearDuplicateIndex(threshold=0.9)
    assert idx.check("x", BASE) is None and idx.check("y", "Totally different words here about cats.") is None


def _draft(**kw):
    base = {"title": "Sales", "instruction": BASE + " Use every row.", "input_files": [
        {"path": "input/sales.csv", "content": "region,amount\nn,1\n"}], "output_files": ["out/summary.json"],
        "solution": {"language": "bash", "code": "true"}}
    return {**base, **kw}


def test_task_draft_checks_workspace_consistency_and_caps():
    TaskDraft.model_validate(_draft(), context={"caps": Caps()})
    with pytest.raises(ValueError, match="input/rates.csv, which is neither"):
        TaskDraft.model_validate(_draft(instruction=BASE + " Convert with input/rates.csv."))
    with pytest.raises(ValueError, match="never mentions: input/extra.txt"):
        TaskDraft.model_validate(_draft(input_files=_draft()["input_files"] + [{"path": "input/extra.txt",
                                                                                 "content": "x"}]))
    with pytest.raises(ValueError, match="over 10 bytes"):
        TaskDraft.model_validate(_draft(), context={"caps": Caps(max_file_bytes=10)})
    with pytest.raises(ValueError, match="not a relative path"):
        TaskDraft.model_validate(_draft(output_files=["../escape.txt"]))
    ok = TaskDraft.model_validate(_draft(input_files=[{"path": "workspace/input/sales.csv", "content": "r\n"}]))
    assert ok.input_files[0].path == "input/sales.csv"
