import json
import sys
from pathlib import Path


def grade(transcript, workspace_path):
    report = json.loads((Path(workspace_path) / "out/grade_report.json").read_text())  # crashes when missing
    return {"mean": 1.0 if abs(report["mean"] - 78.5) < 0.01 else 0.0}


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1] if len(sys.argv) > 1 else ".")))
