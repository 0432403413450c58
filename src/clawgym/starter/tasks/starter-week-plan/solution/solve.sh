#!/usr/bin/env bash
# Reference solution: run with the workspace as the current directory.
set -euo pipefail
exec python3 "$(dirname "$0")/solve.py"
