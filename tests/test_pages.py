"""Every HTML page is rendered by one template engine from one base page: the shell is the same,
what comes in from outside is escaped, and JSON data cannot close its script block."""

from __future__ import annotations

import json
import re

import pytest

from clawgym.pages import Markup, escape, render_page, script_json, write_page

SHELL = "<!doctype html><html lang=en><head><meta charset=utf-8><title>"


def test_the_base_page_escapes_what_comes_from_outside(tmp_path):
    page = render_page("<b>run</b> & co", escape("<img src=x onerror=alert(1)>") + Markup("<p>ok</p>"),
                       style="p{color:red}", script="let a = 1 < 2;", csp="default-src 'none'",
                       data={"d": script_json({"x": "</script><script>alert(1)</script>"})})
    assert page.startswith(SHELL + "&lt;b&gt;run&lt;/b&gt; &amp; co</title>")
    assert "&lt;img src=x" in page and "<p>ok</p>" in page and "<script>let a = 1 < 2;</script>" in page
    assert page.count("</script>") == 2  # the data's "</script>" was written as \u003c/script>
    block = re.search(r'<script type="application/json" id=d>(.*?)</script>', page).group(1)
    assert json.loads(block) == {"x": "</script><script>alert(1)</script>"}
    assert 'http-equiv="Content-Security-Policy"' in page
    with pytest.raises(ValueError, match="script_json"):
        render_page("t", "", data={"d": '{"x": "</script>"}'})
    out = write_page(tmp_path / "p.html", page)
    assert out.read_text() == page and [p.name for p in tmp_path.iterdir()] == ["p.html"]


def test_every_page_shares_the_shell(tmp_path):
    from clawgym.bench import Leaderboard, leaderboard_html, viewer_html
    from clawgym.train._demo import DemoConfig, write_demo_report

    pages = {"viewer": viewer_html([], {}, ["m"], title="T<1>"),
             "leaderboard": leaderboard_html(Leaderboard(benchmark="b<x>", digest="d" * 64, threshold=1.0, models=[]))}
    table = [{"group": "held-out <seeds>", "before": {"n": 2, "passed": 0, "pass_rate": 0.0, "pass_ci": [0.0, 0.66],
                                                      "mean_score": 0.25},
              "after": {"n": 2, "passed": 1, "pass_rate": 0.5, "pass_ci": [0.09, 0.91], "mean_score": 0.75}}]
    report = write_demo_report(tmp_path, table, {"SFT": 1.0}, {"steps": 2}, DemoConfig(model="tiny<model>"))
    pages["demo"] = report.read_text()
    for name, page in pages.items():
        assert page.startswith(SHELL) and page.rstrip().endswith("</body></html>"), name
    assert "<title>T&lt;1&gt;</title>" in pages["viewer"] and "Leaderboard b&lt;x&gt;" in pages["leaderboard"]
    assert "held-out &lt;seeds&gt;" in pages["demo"] and "tiny&lt;model&gt;" in pages["demo"]
    assert "1/2 = 50% [9%, 91%]" in pages["demo"]  # the content is the demo's own
