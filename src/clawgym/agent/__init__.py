"""The agent: OpenClaw-compatible tools, the loop, agents, rollouts and trajectories."""

from clawgym.agent._agents import (
    SYSTEM_PROMPT, Agent, AgentConfig, LLMAgent, NoopAgent, OracleAgent, make_agent,
)
from clawgym.agent._rollout import rollout
from clawgym.agent._tools import TOOL_NAMES, TOOL_SCHEMAS, ToolBox, ToolError, ToolResult
from clawgym.agent._trajectory import FileChange, StepRecord, Trajectory, digest, workspace_diff

__all__ = [
    "SYSTEM_PROMPT", "TOOL_NAMES", "TOOL_SCHEMAS", "Agent", "AgentConfig", "FileChange", "LLMAgent",
    "NoopAgent", "OracleAgent", "StepRecord", "ToolBox", "ToolError", "ToolResult", "Trajectory",
    "digest", "make_agent", "rollout", "workspace_diff",
]
