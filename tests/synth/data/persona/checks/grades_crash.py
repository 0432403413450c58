import json
import sys
from pathlib import Path


def grade(transcript, workspace_path):
    report = json.loads((Path(workspace_path) / "out/grade_report.json").read_text())  # crashes when missing
    scores = [int(line.split(",")[1]) for line in (Path(workspace_path) / "input/grades.csv").read_text().split()[1:]]
    return {"mean": 1.0 if abs(report["mean"] - sum(scores) / len(scores)) < 0.01 else 0.0}


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1] if len(sys.argv) > 1 else ".")))
