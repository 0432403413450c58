from clawgym.models import parse_text_tool_calls


def test_parses_several_calls_and_keeps_the_text():
    text = ('First.\n<tool_call>{"name": "read", "arguments": {"path": "a"}}</tool_call>\n'
            '<tool_call>\n{"name": "exec", "arguments": {"command": "ls"}}\n</tool_call>')
    content, calls = parse_text_tool_calls(text)
    assert content == "First." and [c.name for c in calls] == ["read", "exec"]
    assert calls[1].parsed == {"command": "ls"} and calls[0].error is None


def test_malformed_calls_are_reported_not_raised():
    content, calls = parse_text_tool_calls('<tool_call>{"name": "read", "arguments": {path}}</tool_call>')
    assert len(calls) == 1 and calls[0].error and calls[0].parsed is None
    _, calls = parse_text_tool_calls('<tool_call>["read"]</tool_call>')
    assert calls[0].error
    _, calls = parse_text_tool_calls('<tool_call>{"name": "read", "arguments": "{\\"path\\": 1"}')  # unclosed
    assert calls[0].error and "not valid JSON" in calls[0].error
    assert parse_text_tool_calls("no calls here") == ("no calls here", [])
