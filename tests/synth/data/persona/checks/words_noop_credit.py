import json
import sys
from pathlib import Path


def grade(transcript, workspace_path):
    ws = Path(workspace_path)
    scores = {"notes_present": 1.0 if (ws / "input/notes.txt").exists() else 0.0, "stats": 0.0}
    try:
        stats = json.loads((ws / "out/word_stats.json").read_text())
    except Exception:
        return scores
    scores["stats"] = 1.0 if stats == {"words": 17, "lines": 3} else 0.0
    return scores


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1] if len(sys.argv) > 1 else ".")))
