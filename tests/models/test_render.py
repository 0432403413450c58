"""The one renderer: canonical tool-call text (parse and render are one pair), the tool prompt of
the enabled tools only, and tool messages given to a native template the same way every time."""

from __future__ import annotations

import json

import pytest

from clawgym.models import assistant_text, format_tool_call, parse_text_tool_calls, tools_prompt

CANONICAL = [
    '<tool_call>\n{"name": "read", "arguments": {"path": "in.txt"}}\n</tool_call>',
    'Reading first.\n<tool_call>\n{"name": "exec", "arguments": {"command": "ls -la"}}\n</tool_call>',
    '<tool_call>\n{"name": "write", "arguments": {"path": "é.txt", "content": "a\\nb"}}\n</tool_call>\n'
    '<tool_call>\n{"name": "read", "arguments": {"path": "é.txt"}}\n</tool_call>',
    "Done: the file holds HELLO.",
    '<tool_call>\n{"name": "read", "arguments": {"path":\n</tool_call>',  # malformed: kept as written
]


def _round_trip(text: str) -> str:
    content, calls = parse_text_tool_calls(text)
    return assistant_text(content, [(c.name, c.arguments) for c in calls])


@pytest.mark.parametrize("text", CANONICAL)
def test_canonical_turns_survive_parse_and_render(text):
    assert _round_trip(text) == text


def test_non_canonical_turns_are_rewritten_canonically_once():
    loose = '  Sure.<tool_call>{"name":"read","parameters":{"path":"a"}}</tool_call>  '
    canon = _round_trip(loose)
    assert canon == 'Sure.\n<tool_call>\n{"name": "read", "arguments": {"path": "a"}}\n</tool_call>'
    assert _round_trip(canon) == canon
    assert format_tool_call("edit", '{"path": "x"}') == '<tool_call>\n{"name": "edit", "arguments": {"path": "x"}}\n</tool_call>'


def test_the_tool_prompt_names_only_enabled_tools_even_in_its_example():
    from clawgym.agent import TOOL_SCHEMAS

    only = [t for t in TOOL_SCHEMAS if t["function"]["name"] in ("write", "exec")]
    text = tools_prompt(only)
    assert '"name": "exec"' in text and '"name": "read"' not in text
    body = text.split("for example:\n", 1)[1]
    content, calls = parse_text_tool_calls(body)
    assert [c.name for c in calls] == ["exec"] and calls[0].parsed == {"command": "ls"}
    assert '"name": "read", "arguments": {"path": "input/notes.txt"}' in tools_prompt(TOOL_SCHEMAS)


def test_native_templates_get_call_ids_and_tool_call_ids_in_every_use(tmp_path):
    pytest.importorskip("transformers")
    from transformers import AutoTokenizer

    from clawgym.models import ChatRenderer, HFModel
    from tests.models.test_hf import CHATML_TOOLS, build

    tok = AutoTokenizer.from_pretrained(build(tmp_path / "native", template=CHATML_TOOLS))
    msgs = [{"role": "user", "content": "go"},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "read", "arguments": '{"path": "a"}'}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "text"}]
    r = ChatRenderer(tok)
    assert r.native()
    shaped = r.template_messages(msgs, [{"type": "function", "function": {"name": "read"}}])
    assert shaped[1]["tool_calls"][0]["id"] == "c1" and shaped[1]["tool_calls"][0]["function"]["arguments"] == {"path": "a"}
    assert shaped[2] == {"role": "tool", "content": "text", "tool_call_id": "c1"}
    hf = HFModel(None, tok)
    assert hf.render(msgs, None) == r.prompt(msgs, None) and hf.renderer.template_messages(msgs, None) == \
        r.template_messages(msgs, None)


def test_content_parts_render_as_their_text():
    pytest.importorskip("transformers")
    from clawgym.models import ChatRenderer

    class Tok:  # the template only joins role and content: enough to see what reaches it
        def apply_chat_template(self, messages, tools=None, tokenize=False, add_generation_prompt=False):
            return json.dumps(messages)

    r = ChatRenderer(Tok(), "text")
    text = r.render([{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}])
    assert json.loads(text) == [{"role": "user", "content": "ab"}]
