"""ClawGym's settings: every environment variable the library honours, read in one place.

Configuration used to be read deep in the stack (the sandbox folder in the sandbox, the file-size
cap in the task reader, the judge cache in the rubric scorer), some of it at import time, so a
library user could not tell what was read or override it without setting a variable. Now:

- `Settings` lists every variable, typed and documented (the README's table is this list);
- the CLI reads it once, at its entry point (`Settings.from_env()`), and installs it with `use()`;
- code below the CLI asks `current()` and takes an argument that overrides it (a sandbox's
  `root_dir`, `LoadOptions.max_file_bytes`, `OpenAIModel(base_url=...)`), so a library user either
  passes values or calls `use(Settings(...))` once; nothing else reads `os.environ`
  (tests/cli/test_imports.py checks it).

Until `use()` is called, `current()` reads the environment afresh each time it is asked, so a
library user who sets a variable before (or while) using ClawGym sees it honoured, as before.

The budget defaults an agent gets when neither its configuration nor the task sets one live here
too (`DEFAULT_MAX_STEPS`, `DEFAULT_TIMEOUT_S`), so the agent loop, the OpenClaw agent, the
reference-solution runner and the Harbor exporter cannot drift apart.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_MAX_FILE_BYTES", "DEFAULT_MAX_STEPS", "DEFAULT_MAX_WORKSPACE_ENTRIES", "DEFAULT_TIMEOUT_S",
           "DEPRECATED_NAMES", "Settings", "current", "use"]

DEFAULT_MAX_STEPS = 30
"""Agent turns when neither the agent's configuration nor the task's `limits.max_steps` says."""
DEFAULT_TIMEOUT_S = 600.0
"""Wall-clock seconds for an attempt (or a reference solution) when nothing else says."""
DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024
"""Largest single workspace file a task reader accepts."""
DEFAULT_MAX_WORKSPACE_ENTRIES = 200_000
"""Most files and folders a workspace copied into or out of a sandbox may hold."""

DEPRECATED_NAMES = {"CLAWGYM_MAX_FILE_BYTES": "CLAWGYM_MAX_FILE_SIZE"}
"""Old variable -> its current name. The old one still works (the current one wins) and warns."""


class Settings(BaseSettings):
    """Every environment variable ClawGym reads (its name is `CLAWGYM_` + the field, in capitals,
    unless the field says otherwise). Frozen: make a new one with `model_copy(update=...)`."""

    model_config = SettingsConfigDict(env_prefix="CLAWGYM_", extra="ignore", frozen=True,
                                      populate_by_name=True, env_ignore_empty=True)

    sandbox_dir: Path | None = Field(
        default=None, description="Where sandboxes keep their files (default: the system's temporary folder). "
                                  "As root it must lie under folders every user may enter.")
    sandbox_debug: bool = Field(
        default=False, description="1: a sandbox server's stderr goes to ours (debugging the sandbox itself).")
    max_workspace_entries: int = Field(
        default=DEFAULT_MAX_WORKSPACE_ENTRIES, gt=0,
        description="Most files and folders a workspace copied into or out of a sandbox may hold.")
    max_file_size: int = Field(
        default=DEFAULT_MAX_FILE_BYTES, gt=0,
        validation_alias=AliasChoices("CLAWGYM_MAX_FILE_SIZE", "CLAWGYM_MAX_FILE_BYTES", "max_file_size"),
        description="Largest workspace file (bytes) a task reader accepts; also the --max-file-size flag. "
                    "CLAWGYM_MAX_FILE_BYTES is its deprecated old name.")
    verify_python: str | None = Field(
        default=None, description="The trusted interpreter that runs check scripts in the verification "
                                  "sandbox (default: /usr/bin/python3, else the first python3 on PATH).")
    docker_image: str | None = Field(
        default=None, description="The image of the docker sandbox backend (default clawgym-sandbox:latest).")
    cache: Path | None = Field(
        default=None, description="Where SmolLM2's converted weights and judge verdicts are kept "
                                  "(default ~/.cache/clawgym).")
    judge_cache: Path | None = Field(
        default=None, description="Where judge verdicts alone are kept (default <cache>/judge).")
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "openai_base_url"),
        description="OPENAI_BASE_URL: the endpoint of `openai:` models (default https://api.openai.com/v1).")
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "openai_api_key"),
        description="OPENAI_API_KEY: the key sent to `openai:` models (never logged).")

    @classmethod
    def from_env(cls) -> Settings:
        """The settings as the environment gives them (what `Settings()` reads, as pydantic-settings
        does), after warning (DeprecationWarning) about each deprecated name that is set: it is
        still used, unless its current name is set too. A bad value raises pydantic's
        ValidationError naming the variable."""
        for old, new in DEPRECATED_NAMES.items():
            if os.environ.get(old):
                warnings.warn(f"{old} is deprecated; set {new} instead"
                              + (f" (both are set: {new} wins)" if os.environ.get(new) else ""),
                              DeprecationWarning, stacklevel=2)
        return cls()

    # -- derived values, so every caller resolves a default the same way ---------------------
    def sandbox_root(self) -> Path:
        return self.sandbox_dir or Path(tempfile.gettempdir())

    def cache_root(self) -> Path:
        return self.cache or Path.home() / ".cache" / "clawgym"

    def judge_cache_root(self) -> Path:
        return self.judge_cache or self.cache_root() / "judge"

    @staticmethod
    def variable_fields() -> dict[str, str]:
        """{variable: field name} for every current variable name."""
        out = {}
        for name, f in Settings.model_fields.items():
            alias = f.validation_alias
            out[alias.choices[0] if isinstance(alias, AliasChoices) else f"CLAWGYM_{name}".upper()] = name
        return out

    @staticmethod
    def variables() -> dict[str, str]:
        """{variable: description} for every variable, the deprecated names included (the README's
        table is checked against it)."""
        out = {var: Settings.model_fields[name].description or "" for var, name in Settings.variable_fields().items()}
        for old, new in DEPRECATED_NAMES.items():
            out[old] = f"deprecated name of {new}"
        return out


_installed: Settings | None = None
_from_env: tuple[tuple[str | None, ...], Settings] | None = None


def use(settings: Settings | None) -> None:
    """Install the settings every default below comes from (the CLI does, once, at its entry
    point); None goes back to reading the environment on each `current()`."""
    global _installed
    _installed = settings


def current() -> Settings:
    """The installed settings, else the environment's as it is now (parsed again only when one
    of its variables changed: building a Settings costs about a millisecond)."""
    global _from_env
    if _installed is not None:
        return _installed
    key = tuple(os.environ.get(name) for name in _VARIABLES)
    if _from_env is None or _from_env[0] != key:
        _from_env = (key, Settings.from_env())
    return _from_env[1]


_VARIABLES = tuple(Settings.variables())
