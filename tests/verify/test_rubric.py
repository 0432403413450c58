"""Rubric judging through a scripted judge served over real HTTP."""

from __future__ import annotations

import json

from clawgym.models._openai import OpenAIModel
from clawgym.tasks import Grading, Rubric, RubricRule, Task, TaskFile
from clawgym.verify import verify
from clawgym.verify._rubric import MAX_FILE_CHARS, JudgeCache
from tests.conftest import requires_bwrap
from tests.openai_server import FaultServer, completion

pytestmark = requires_bwrap
BANDS = {"0": "missing", "0.25": "poor", "0.5": "fair", "0.75": "good", "1": "excellent"}
CHECK = b"""import json, sys, pathlib
p = pathlib.Path(sys.argv[1], "output", "email.txt")
print(json.dumps({"exists": p.is_file(), "has_greeting": p.is_file() and p.read_text().startswith("Hi")}))
"""


def _task(rules: int = 1) -> Task:
    rubric = Rubric(eval_input="The email to the landlord", rules=[
        RubricRule(name=f"tone{i}", file_path="output/email.txt", scores=BANDS) for i in range(rules)])
    return Task(id="r", instruction="Draft output/email.txt to the landlord.", checks=[TaskFile(path="check.py", data=CHECK)],
                rubric=rubric, grading=Grading(code_weight=0.7, rubric_weight=0.3))


def _ws(tmp_path, text="Hi Sam, the heating is broken."):
    (tmp_path / "ws" / "output").mkdir(parents=True)
    (tmp_path / "ws" / "output" / "email.txt").write_text(text)
    return tmp_path / "ws"


def _judge(url):
    return OpenAIModel("judge", base_url=url, api_key="k", backoff_s=0.01, total_timeout_s=2)


def _verdict(score, reason="ok"):
    return ("json", completion(json.dumps({"score": score, "reason": reason})))


def test_votes_median_and_hybrid_score(tmp_path):
    with FaultServer([_verdict(0.25), _verdict(1), _verdict(0.75)]) as srv:
        r = verify(_task(), _ws(tmp_path), judge=_judge(srv.url), judge_votes=3, judge_cache=JudgeCache(tmp_path / "c"))
    assert len(srv.requests) == 3
    assert r.rubric_status == "judged" and r.rubric_score == 0.75 and r.code_score == 1.0
    assert r.score == 0.7 * 1.0 + 0.3 * 0.75
    rule = r.rubric["rules"][0]
    assert sorted(rule["votes"]) == [0.25, 0.75, 1.0] and rule["score"] == 0.75
    prompt = srv.requests[0]["body"]["messages"][1]["content"]
    assert "heating is broken" in prompt and "0.75: good" in prompt and "landlord" in prompt


def test_second_pass_is_served_from_the_cache(tmp_path):
    cache = JudgeCache(tmp_path / "c")
    with FaultServer([_verdict(0.5), _verdict(1)]) as srv:
        first = verify(_task(rules=2), _ws(tmp_path), judge=_judge(srv.url), judge_cache=cache)
        calls = len(srv.requests)
        second = verify(_task(rules=2), tmp_path / "ws", judge=_judge(srv.url), judge_cache=cache)
        assert len(srv.requests) == calls == 2  # no new calls
    assert first.rubric_score == second.rubric_score == 0.75
    (tmp_path / "ws" / "output" / "email.txt").write_text("Hi, different content now.")
    with FaultServer([_verdict(0), _verdict(0)]) as srv:
        third = verify(_task(rules=2), tmp_path / "ws", judge=_judge(srv.url), judge_cache=cache)
    assert len(srv.requests) == 2 and third.rubric_score == 0.0  # new content, new verdicts


def test_judge_failure_falls_back_to_code_with_a_flag(tmp_path):
    with FaultServer([], default=("status", 500)) as srv:
        r = verify(_task(), _ws(tmp_path), judge=_judge(srv.url))
    assert r.status == "ok" and r.rubric_status == "judge_error" and r.score == r.code_score == 1.0
    assert "rubric unscored" in r.error and "judge unavailable" in r.error


def test_unparsable_and_out_of_band_answers_are_errors(tmp_path):
    ws = _ws(tmp_path)
    with FaultServer([("json", completion("I think it deserves a 4/5")), ("json", completion("Score: good"))]) as srv:
        r = verify(_task(), ws, judge=_judge(srv.url))
    assert len(srv.requests) == 2 and r.rubric_status == "judge_error" and "unparsable" in r.error
    with FaultServer([_verdict(0.6), _verdict(0.6)]) as srv:
        r = verify(_task(), ws, judge=_judge(srv.url))
    assert r.rubric_status == "judge_error" and "not one of" in r.error
    with FaultServer([("json", completion('{"score": 1} {"score": 0}')), _verdict(0.5)]) as srv:
        r = verify(_task(), ws, judge=_judge(srv.url))
    assert r.rubric_status == "judged" and r.rubric_score == 0.5  # asked once more, then fine


def test_long_files_are_truncated_with_a_note_and_missing_files_cost_no_call(tmp_path):
    with FaultServer([_verdict(1)]) as srv:
        verify(_task(), _ws(tmp_path, "Hi " + "x" * (MAX_FILE_CHARS + 500)), judge=_judge(srv.url))
    assert "truncated: 503 more characters" in srv.requests[0]["body"]["messages"][1]["content"]
    (tmp_path / "empty").mkdir()
    with FaultServer([]) as srv:
        r = verify(_task(), tmp_path / "empty", judge=_judge(srv.url))
    assert srv.requests == [] and r.rubric_score == 0.0 and r.score == 0.0


def test_without_a_judge_the_rubric_is_marked_not_judged(tmp_path):
    r = verify(_task(), _ws(tmp_path))
    assert r.rubric_status == "not_judged" and r.score == r.code_score == 1.0
