"""The agent: OpenClaw-compatible tools, the environment API, the loop, agents, rollouts and
trajectories."""

from clawgym.agent._agents import (
    SYSTEM_PROMPT, Agent, AgentConfig, LLMAgent, NoopAgent, OracleAgent, make_agent,
)
from clawgym.agent._env import ClawEnv, EnvConfig, EnvError, Observation, StepResult, run_policy
from clawgym.agent._envcheck import Env, EnvCheckError, check_env
from clawgym.agent._messages import (
    AssistantMessage, ChatMessage, SystemMessage, ToolCallPart, ToolMessage, UserMessage, from_openai,
    parse_message, to_openai,
)
from clawgym.agent._openclaw import OpenClawAgent
from clawgym.agent._openclaw_install import OpenClawInstallError, install as install_openclaw
from clawgym.agent._rollout import rollout
from clawgym.agent._tools import TOOL_NAMES, TOOL_SCHEMAS, ToolBox, ToolError, ToolResult
from clawgym.agent._trajectory import FileChange, StepRecord, Timing, Trajectory, digest, workspace_diff

__all__ = [
    "SYSTEM_PROMPT", "TOOL_NAMES", "TOOL_SCHEMAS", "Agent", "AgentConfig", "AssistantMessage", "ChatMessage",
    "ClawEnv", "Env", "EnvCheckError", "EnvConfig", "EnvError", "check_env", "FileChange", "LLMAgent", "NoopAgent", "Observation", "OpenClawAgent",
    "OpenClawInstallError", "OracleAgent",
    "StepRecord", "StepResult", "SystemMessage", "ToolBox", "ToolCallPart", "ToolError", "ToolMessage",
    "Timing", "ToolResult", "Trajectory", "UserMessage", "digest", "from_openai", "make_agent", "parse_message",
    "install_openclaw", "rollout", "run_policy", "to_openai", "workspace_diff",
]
