"""Training on what was run: trajectories -> SFT datasets (assistant-only loss masks) and
fine-tuning with TRL; teacher trajectories made of real tool calls. The environment API that
trainers drive lives in `clawgym.agent` (`ClawEnv`)."""

from clawgym.train._data import (
    ChatRenderer, SFTDataConfig, SFTDataError, build_sft_dataset, clean_messages, export_openai_jsonl,
    load_trajectories, openai_messages, select_trajectories, tokenize_sft_dataset,
)
from clawgym.train._teacher import TeacherAgent, TeacherError, solution_plan
from clawgym.train._demo import DemoAgent, DemoConfig, DemoTeacher, rich_table, run_demo
from clawgym.train._events import (
    DemoEvent, GRPOLog, PhaseDone, PhaseRun, PhaseStarted, RunSummary, SFTData, SFTLog, demo_event, demo_listener,
)
from clawgym.train._sft import LoraSpec, SFTConfigError, SFTResult, SFTTrainConfig, load_base, train_sft
from clawgym.train._grpo import (
    Episode, GRPOConfigError, GRPOResult, GRPOTrainConfig, RayEnvs, RolloutFunc, build_trainer, grpo_dataset, run_episode,
    train_grpo, verifier_reward,
)

__all__ = ["DemoAgent", "DemoConfig", "DemoTeacher", "rich_table", "run_demo", "ChatRenderer", "LoraSpec", "SFTConfigError", "SFTDataConfig", "SFTDataError", "SFTResult",
           "SFTTrainConfig", "TeacherAgent", "TeacherError", "build_sft_dataset", "clean_messages", "export_openai_jsonl", "load_base",
           "load_trajectories", "openai_messages", "select_trajectories", "solution_plan", "tokenize_sft_dataset", "train_sft",
           "Episode", "GRPOConfigError", "GRPOResult", "GRPOTrainConfig", "RayEnvs", "RolloutFunc", "build_trainer", "grpo_dataset", "run_episode",
           "train_grpo", "verifier_reward",
           "DemoEvent", "GRPOLog", "PhaseDone", "PhaseRun", "PhaseStarted", "RunSummary", "SFTData", "SFTLog", "demo_event",
           "demo_listener"]
