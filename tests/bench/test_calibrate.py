"""Calibration: exact estimators, and a synthetic panel with known difficulty whose ordering
the fit recovers, read from real run folders."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from clawgym.bench import Calibration, calibrate, fit_rasch, load_panel, pass_at_k, spearman, wilson
from tests.bench.synth_runs import rasch_panel, write_run


def test_pass_at_k_is_the_unbiased_estimator():
    for n, c, k in [(10, 3, 1), (10, 3, 5), (5, 0, 2), (5, 5, 3), (7, 2, 7), (20, 1, 10)]:
        # brute force: the share of k-subsets of the n attempts with at least one pass
        attempts = [1] * c + [0] * (n - c)
        subsets = list(itertools.combinations(range(n), k))
        brute = sum(any(attempts[i] for i in s) for s in subsets) / len(subsets)
        assert pass_at_k(n, c, k) == pytest.approx(brute, abs=1e-12)
    assert pass_at_k(100, 37, 1) == pytest.approx(0.37)
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 4)


def test_wilson_interval_known_values():
    lo, hi = wilson(8, 10)
    assert (round(lo, 4), round(hi, 4)) == (0.4902, 0.9433)
    assert wilson(0, 10)[0] == 0.0 and 0.25 < wilson(0, 10)[1] < 0.35
    assert wilson(10, 10)[1] == pytest.approx(1.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rasch_fit_recovers_difficulty_order_on_a_large_synthetic_panel(seed):
    rng = np.random.default_rng(seed)
    b = rng.uniform(-3, 3, 200)
    theta = np.array([-1.5, -0.5, 0.0, 0.7, 1.5])
    p = 1 / (1 + np.exp(-(theta[:, None] - b[None, :])))
    n = np.full(p.shape, 10)
    s = rng.binomial(n, p)
    th, th_se, bh, bh_se = fit_rasch(s, n)
    assert spearman(bh, b) > 0.9
    assert spearman(th, theta) == pytest.approx(1.0)
    assert np.all(bh_se > 0) and np.all(np.isfinite(bh))
    # the interval covers the truth about as often as it says (95 % nominal, shrunk by the prior)
    assert np.mean(np.abs(bh - b) < 1.96 * bh_se) > 0.75


def test_calibration_from_run_folders_recovers_the_ordering(tmp_path):
    panel, b = rasch_panel(40, [-1.0, 0.0, 1.0], samples=8, seed=3)
    folders = [write_run(tmp_path / name, res, model=f"scripted:{name}") for name, res in panel.items()]
    cal = calibrate(load_panel(folders))
    assert isinstance(cal, Calibration) and len(cal.tasks) == 40 and len(cal.models) == 3
    est = [t.difficulty for t in cal.tasks]
    assert spearman(est, b) > 0.9
    # the estimate's uncertainty is reported, and the models' abilities come out in order
    assert all(t.difficulty_se and 0 < t.difficulty_se < 3 for t in cal.tasks)
    abil = [m.ability for m in cal.models]
    assert abil == sorted(abil)
    t0 = cal.tasks[0]
    assert set(t0.per_model) == {"llm:scripted:model0", "llm:scripted:model1", "llm:scripted:model2"}
    assert t0.per_model["llm:scripted:model0"].attempts == 8
    assert set(t0.pass_at_k) == {"1", "5"}  # 10 > 8 samples: no pass@10


def test_errors_baselines_and_spread_are_counted_per_task(tmp_path):
    a = [("easy", s, 1.0, "ok") for s in range(4)] + [("broken", 0, 0.0, "verifier_error"),
                                                       ("broken", 1, 0.0, "verifier_error"),
                                                       ("broken", 2, 0.5, "ok"), ("broken", 3, 0.0, "infra_error")]
    b = [("easy", s, 1.0, "ok") for s in range(4)] + [("broken", s, 0.0, "agent_error") for s in range(4)]
    noop = [("easy", 0, 1.0, "ok"), ("broken", 0, 0.0, "ok")]
    oracle = [("easy", 0, 1.0, "ok"), ("easy", 1, 0.5, "ok"), ("broken", 0, 1.0, "ok"), ("broken", 1, 1.0, "ok")]
    folders = [write_run(tmp_path / "a", a, model="scripted:a", categories={"easy": "files"}),
               write_run(tmp_path / "b", b, model="scripted:b"),
               write_run(tmp_path / "noop", noop, agent="noop"),
               write_run(tmp_path / "oracle", oracle, agent="oracle")]
    cal = calibrate(load_panel(folders))
    t = cal.by_id()
    assert cal.baselines == ["noop", "oracle"] and len(cal.models) == 2
    assert t["easy"].category == "files"
    assert t["easy"].pass_rate == 1.0 and t["easy"].noop_score == 1.0 and t["easy"].oracle_score == 0.5
    assert t["easy"].baseline_nondeterministic and not t["broken"].baseline_nondeterministic
    br = t["broken"]
    assert br.verifier_errors == 2 and br.infra_errors == 1 and br.attempts == 7
    assert br.verifier_error_rate == pytest.approx(2 / 7)
    assert br.per_model["llm:scripted:a"].attempts == 1  # one scored attempt left
    assert br.pass_rate == 0.0 and br.score_range == 0.5 and br.oracle_score == 1.0
    assert t["easy"].difficulty < br.difficulty
    assert math.isclose(t["easy"].runtime_mean_s, 1.6)


def test_pool_restricts_and_orders_tasks(tmp_path):
    folder = write_run(tmp_path / "a", [("x", 0, 1.0, "ok"), ("y", 0, 0.0, "ok")], model="m")
    cal = calibrate(load_panel([folder], pool=["y", "z"]))
    assert [t.task_id for t in cal.tasks] == ["y", "z"]
    assert cal.tasks[1].difficulty is None and cal.tasks[1].attempts == 0
