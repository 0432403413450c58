import json
import sys
from pathlib import Path


def grade(transcript, workspace_path):
    out = Path(workspace_path) / "output" / "reply.md"
    return {"reply_exists": 1.0 if out.is_file() else 0.0}


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1] if len(sys.argv) > 1 else ".")))
