import json
import sys
from pathlib import Path


def grade(transcript, workspace_path):
    ws = Path(workspace_path)
    scores = {"words": 0.0, "lines": 0.0}
    try:
        stats = json.loads((ws / "out/word_stats.json").read_text())
        assert isinstance(stats, dict)
    except Exception:
        return scores
    text = (ws / "input/notes.txt").read_text()
    scores["words"] = 1.0 if stats.get("words") == len(text.split()) else 0.0
    scores["lines"] = 1.0 if stats.get("lines") == len(text.splitlines()) else 0.0
    return scores


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1] if len(sys.argv) > 1 else ".")))
