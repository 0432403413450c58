"""Secrets never leave the process: every text the synthesis engine writes (ledger, summary,
errors, logs) passes through a `Redactor` first."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

# Shapes of credentials worth hiding even when nobody told us the value.
_PATTERNS = [
    re.compile(r"\bsk-[A-Za-z0-9_\-]{12,}"),                 # OpenAI-style keys
    re.compile(r"\b(?:ghp|gho|ghs|github_pat)_[A-Za-z0-9_]{20,}"),  # GitHub tokens
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),                      # AWS access key ids
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/\-]{8,}=*"),
    re.compile(r"(?i)((?:api[_-]?key|authorization|x-api-key)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]{8,}"),
]
MASK = "[REDACTED]"


class Redactor:
    """Replaces known secret values (an API key we were given) and credential-shaped strings.

    Values shorter than 6 characters are ignored: masking them would mangle ordinary text."""

    def __init__(self, secrets: Iterable[str | None] = ()):
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for s in self.secrets:
            value = value.replace(s, MASK)
        for p in _PATTERNS:
            value = p.sub(lambda m: (m.group(1) if m.groups() and m.group(1) else "") + MASK, value)
        return value

    def obj(self, value: Any) -> Any:
        """A JSON-able value with every string redacted (keys included)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.obj(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.obj(v) for v in value]
        return value

    def dumps(self, value: Any) -> str:
        return self.text(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str))
