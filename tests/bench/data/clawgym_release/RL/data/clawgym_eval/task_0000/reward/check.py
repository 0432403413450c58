import json
import sys
from pathlib import Path


def grade(transcript, workspace_path):
    out = Path(workspace_path) / "output" / "total.txt"
    exists = out.is_file()
    correct = exists and out.read_text().strip() == "60"
    return {"file_exists": 1.0 if exists else 0.0, "value_correct": 1.0 if correct else 0.0,
            "reward": 1.0 if correct else 0.0}


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1] if len(sys.argv) > 1 else ".")))
