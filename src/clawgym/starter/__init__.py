"""ClawGym's starter suite: hand-written tasks shipped with the package."""
from pathlib import Path
STARTER_DIR = Path(__file__).parent / "tasks"
def starter_tasks():
    from clawgym.tasks import load_tasks
    return load_tasks(STARTER_DIR)
