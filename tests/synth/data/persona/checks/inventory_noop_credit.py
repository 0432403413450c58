import json
import sys
from pathlib import Path


def grade(transcript, workspace_path):
    ws = Path(workspace_path)
    # gives a do-nothing run credit: the input file is always there
    scores = {"inventory_read": 1.0 if (ws / "input/inventory.csv").exists() else 0.0, "reorder_list": 0.0}
    try:
        lines = (ws / "out/reorder.txt").read_text().split()
    except Exception:
        return scores
    scores["reorder_list"] = 1.0 if lines == ["flour", "yeast"] else 0.0
    return scores


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1] if len(sys.argv) > 1 else ".")))
