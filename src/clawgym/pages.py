"""HTML pages: every page ClawGym writes (a run's report, the leaderboard, the trajectory viewer,
the review page, the demo's report) is rendered by one template engine (Jinja2, autoescaping)
from one base page, `templates/page.html.j2`: the document shell, the title, an optional
Content-Security-Policy, the style, the body, inert JSON data blocks and the script.

What goes into a page is escaped on the way in: the title always; a body built by code is
escaped piece by piece with `escape` (Markup, so it is not escaped twice); JSON data must already
be safe inside a `<script>` (every `<` written as `\\u003c`, as `script_json` does); style and
script are the page's own constants.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from clawgym.files import atomic_write

__all__ = ["Markup", "escape", "render_page", "script_json", "write_page"]


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("clawgym", "templates"), autoescape=True,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def script_json(value: Any) -> str:
    """`value` as JSON that is inert inside `<script type="application/json">`: ASCII, compact, and
    no `<`, so no `</script>` in the data can close the block."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).replace("<", "\\u003c")


def render_page(title: str, body: str | Markup, *, style: str = "", script: str = "", csp: str | None = None,
                data: Mapping[str, str] | None = None) -> str:
    """One whole page. `body` is HTML the caller built and escaped (a plain str is trusted as it
    is: pass text through `escape` first); `data` maps element ids to JSON from `script_json`."""
    for text in (data or {}).values():
        if "<" in text:
            raise ValueError("JSON data for a page must not contain '<' (build it with script_json)")
    return _environment().get_template("page.html.j2").render(
        title=title, body=Markup(body), style=Markup(style), script=Markup(script), csp=csp,
        data={k: Markup(v) for k, v in (data or {}).items()})


def write_page(out: str | Path, page: str) -> Path:
    """Write a page whole (a reader never sees half of it); returns the path."""
    return atomic_write(out, page)
