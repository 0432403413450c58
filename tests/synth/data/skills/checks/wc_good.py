import json
import os
import sys


def grade(transcript, workspace_path):
    notes = os.path.join(workspace_path, "notes")
    try:
        with open(os.path.join(workspace_path, "out", "counts.json")) as fh:
            data = json.load(fh)
    except Exception:
        return {"counts_correct": 0.0, "order": 0.0}
    exp = {f: len(open(os.path.join(notes, f)).read().split()) for f in sorted(os.listdir(notes)) if f.endswith(".txt")}
    correct = 1.0 if isinstance(data, dict) and data == exp else 0.0
    order = 1.0 if correct and list(data) == sorted(exp, key=lambda k: (-exp[k], k)) else 0.0
    return {"counts_correct": correct, "order": order}


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1] if len(sys.argv) > 1 else ".")))
