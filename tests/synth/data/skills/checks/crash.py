import json
import sys


def grade(transcript, workspace_path):
    totals = {}
    return {"words": totals["missing"] / 1.0}


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1] if len(sys.argv) > 1 else ".")))
