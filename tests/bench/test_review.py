"""Review: LLM reviewer over a real local OpenAI-compatible server, human decisions in the
terminal flow and the local web page (in headless Chromium), stored per task version; the
benchmark is built only from accepted instances."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from clawgym.bench import (BenchmarkError, ReviewStore, build_manifest, parse_review, review_with_llm, serve_review,
                           terminal_review)
from clawgym.models import OpenAIModel, ScriptedModel
from tests.bench.browser import CHROMIUM, dump_dom
from tests.openai_server import FaultServer, completion

GOOD = {"clear": True, "self_contained": True, "checks_fair": True, "rubric_consistent": True, "issues": [],
        "verdict": "accept"}
BAD = {"clear": False, "self_contained": True, "checks_fair": False, "rubric_consistent": True,
       "issues": ["the output file is never named", "checks demand an exact float format"], "verdict": "revise"}


def test_parse_review_tolerates_prose_and_fences():
    r = parse_review("Sure.\n```json\n" + json.dumps(BAD) + "\n```\nthanks")
    assert r.verdict == "revise" and r.checks_fair is False and len(r.issues) == 2 and r.error is None
    assert parse_review("no idea").error and parse_review('{"verdict": "maybe"}').error


def test_llm_review_through_a_real_openai_compatible_server(repo_tasks, tmp_path):
    store = ReviewStore(tmp_path / "reviews.jsonl")
    tasks = repo_tasks[:3]
    answers = [("json", completion("```json\n" + json.dumps(a) + "\n```")) for a in (GOOD, BAD, GOOD)]
    with FaultServer(answers, default=("json", completion("not json"))) as srv:
        model = OpenAIModel("reviewer", base_url=srv.url, api_key="k", backoff_s=0.05)
        recs = review_with_llm(tasks, model, store, concurrency=1)
        assert len(recs) == 3 and len(srv.requests) == 3
        prompt = srv.requests[0]["body"]["messages"][1]["content"]
        assert tasks[0].instruction.strip()[:50] in prompt and "# check.py" in prompt
        assert review_with_llm(tasks, model, store) == []  # reviewed versions are not reviewed again
    verdicts = {r.task_id: r.llm.verdict for r in recs}
    assert verdicts == {tasks[0].id: "accept", tasks[1].id: "revise", tasks[2].id: "accept"}
    assert len(store.records()) == 3


def test_terminal_flow_and_accepted_only_benchmark(repo_tasks, tmp_path):
    store = ReviewStore(tmp_path / "reviews.jsonl")
    tasks = repo_tasks[:4]
    review_with_llm(tasks, ScriptedModel([json.dumps(BAD)] * 4), store, concurrency=1)
    answers = iter(["a", "", "r", "instruction never names the output", "x", "e", "loosen the float check", "a", "ok"])
    shown: list[str] = []
    counts = terminal_review(tasks, store, ask=lambda _: next(answers), say=shown.append)
    assert counts == {"accept": 2, "reject": 1, "edit": 1, "skipped": 0}
    assert "the output file is never named" in "\n".join(shown) and "please answer" in "\n".join(shown)
    assert store.accepted(repo_tasks) == {tasks[0].id, tasks[3].id}
    man = build_manifest(repo_tasks, "reviewed", "1", accepted=store.accepted(repo_tasks))
    assert man.ids() == [tasks[0].id, tasks[3].id]
    # an edited task is a new version: it needs a new decision
    edited = tasks[0].model_copy(update={"instruction": tasks[0].instruction + "\nWrite out.json."})
    assert store.accepted([edited, *tasks[1:]]) == {tasks[3].id}
    assert terminal_review([edited], store, ask=lambda _: "q", say=shown.append) == \
        {"accept": 0, "reject": 0, "edit": 0, "skipped": 0}
    with pytest.raises(BenchmarkError):
        build_manifest(tasks[1:3], "reviewed", "1", accepted=store.accepted(tasks[1:3]))


def _post(url, body, token):
    req = urllib.request.Request(url + "api/decide", data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", **({"X-Review-Token": token} if token else {})})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def test_review_web_page_records_decisions(repo_tasks, tmp_path):
    store = ReviewStore(tmp_path / "reviews.jsonl")
    tasks = repo_tasks[:3]
    review_with_llm(tasks, ScriptedModel([json.dumps(BAD)] * 3), store, concurrency=1)
    server = serve_review(tasks, store, background=True)
    try:
        rec = _post(server.url, {"task_id": tasks[1].id, "decision": "accept", "note": "fine"}, server.token)
        assert rec["decision"] == "accept" and rec["kind"] == "human"
        with pytest.raises(urllib.error.HTTPError) as e:
            _post(server.url, {"task_id": tasks[0].id, "decision": "accept"}, None)
        assert e.value.code == 403
        with pytest.raises(urllib.error.HTTPError) as e:
            _post(server.url, {"task_id": tasks[0].id, "decision": "maybe"}, server.token)
        assert e.value.code == 400
        assert store.accepted(tasks) == {tasks[1].id}
        if CHROMIUM:
            dom, console = dump_dom(server.url, tmp_path, budget_ms=2000)
            assert console == [], console
            assert "3 tasks: 1 accepted, 0 rejected, 0 need an edit, 2 undecided" in dom
            assert "the output file is never named" in dom and f'data-id="{tasks[0].id}"' in dom
            assert f'data-id="{tasks[1].id}"' not in dom  # decided: hidden from the undecided list
    finally:
        server.shutdown()
        server.server_close()
