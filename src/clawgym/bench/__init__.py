"""Benchmarks: calibrate task difficulty from a panel of runs, select and review instances,
pin them in a versioned manifest, run and report (leaderboard), and browse trajectories."""

from clawgym.bench._calibrate import (
    BASELINES, Calibration, CalibrationError, ModelCalibration, ModelStats, Panel, PanelMember, TaskCalibration,
    calibrate, covered, load_panel, run_label, run_missing,
)
from clawgym.bench._benchrun import run_benchmark, run_tag, unmet_needs
from clawgym.bench._leaderboard import Group, Leaderboard, ModelResult, leaderboard, leaderboard_html, write_leaderboard
from clawgym.bench._manifest import (
    MANIFEST, BenchmarkError, Manifest, ManifestTask, build_manifest, import_clawgym_bench, task_hash,
)
from clawgym.bench._published import METRICS, Published, PublishedResult, TaskScore, attempt_score, published
from clawgym.bench._pinchbench import NEEDS, import_pinchbench, load_pinchbench, load_pinchbench_task
from clawgym.bench._review import (
    DECISIONS, LLMReview, ReviewRecord, ReviewStore, llm_review, parse_review, review_prompt, review_with_llm,
    terminal_review,
)
from clawgym.bench._review_web import ReviewServer, review_page, serve_review
from clawgym.bench._select import BANDS, Decision, SelectPolicy, Selection, near_duplicates, select
from clawgym.bench._viewer import collect, compact_trajectory, viewer_html, write_viewer
from clawgym.bench._stats import bootstrap_mean, fit_rasch, pass_at_k, spearman, wilson

__all__ = ["DECISIONS", "LLMReview", "ReviewRecord", "ReviewStore", "llm_review", "parse_review", "review_prompt",
           "review_with_llm", "terminal_review", "ReviewServer", "review_page", "serve_review", "collect", "compact_trajectory", "viewer_html", "write_viewer", "run_benchmark", "run_tag", "Group", "Leaderboard", "ModelResult", "leaderboard", "leaderboard_html",
           "write_leaderboard", "MANIFEST", "BenchmarkError", "Manifest", "ManifestTask", "build_manifest",
           "import_clawgym_bench", "task_hash", "BANDS", "Decision", "SelectPolicy", "Selection", "near_duplicates", "select", "BASELINES", "Calibration", "CalibrationError", "ModelCalibration", "ModelStats", "Panel", "PanelMember",
           "TaskCalibration", "bootstrap_mean", "calibrate", "covered", "fit_rasch", "load_panel", "pass_at_k",
           "run_label", "run_missing", "spearman", "wilson", "NEEDS", "import_pinchbench", "load_pinchbench",
           "load_pinchbench_task", "METRICS", "Published", "PublishedResult", "TaskScore", "attempt_score", "published",
           "unmet_needs"]
