#!/usr/bin/env bash
# The GPU recipe (issue 17, deliverable 4): `clawgym demo` at a larger size on one H200 —
# hundreds of train tasks, >= 100 held-out attempts, SFT + GRPO — in <= 8 minutes.
#
# The GPU machine reaches no package registry and takes at most 64 MiB per call (the working
# tree, ~3 MB, included). Its image has torch (CUDA), transformers, accelerate, peft, numpy,
# pyarrow, pandas, rich, typer, matplotlib; it lacks pydantic, trl, datasets, gguf and the small
# packages ClawGym imports, which travel as wheels. SmolLM2's weights: the packaged GGUF
# (SmolLM2-135M-Instruct.Q4_1.gguf) is 98,362,432 bytes (93.8 MiB); the converted fp32
# safetensors 538 MB, a bf16 copy ~270 MB: all too big for one call. So the GGUF travels in two
# parts over two calls while the machine is warm (it stays warm ~30 s after a call: make the
# second call at once), and is converted to safetensors there (~30 s on its CPUs).
#
#   bash scripts/gpu_demo_h200.sh prepare            # here, once: wheels + the GGUF in two parts under .gpu/
#   device run, carry [".gpu/whl", ".gpu/w1"]:  bash scripts/gpu_demo_h200.sh part1
#   device run, carry [".gpu/w2"], timeout 600:  bash scripts/gpu_demo_h200.sh run
#
# `run` writes $OUT/demo.json, $OUT/report.html and $OUT/log.txt (the figures go into
# docs/learning.md, "The GPU recipe"). Sizes below are the first guess for <= 8 minutes; the
# log prints every phase's time, so a second run can resize.
set -euo pipefail
G=.gpu
W=/tmp/clawgym-gpu
step=${1:?usage: gpu_demo_h200.sh prepare|part1|run}

case "$step" in
prepare)
  grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
  rm -rf "$G" && mkdir -p "$G/whl" "$G/w1" "$G/w2"
  py=${PYTHON:-.venv/bin/python}
  # exact versions of what this checkout's venv runs (Python 3.12 wheels: the GPU image's Python).
  # transformers, accelerate, tokenizers, huggingface-hub and safetensors are the image's own
  # (transformers 5.17 there, which trl 1.16 accepts): their wheels (~15 MB) would not fit call 1.
  pkgs=$($py -m pip list --format=freeze 2>/dev/null | grep -i -E '^(pydantic|pydantic_core|annotated.types|typing.inspection|tomli.w|trl|datasets|dill|multiprocess|tenacity|datasketch|fastapi|starlette|uvicorn|openai|jiter|distro|sniffio|gguf)==' | tr '\n' ' ')
  echo "wheels: $pkgs"
  # shellcheck disable=SC2086
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
      --platform manylinux1_x86_64 -d "$G/whl" $pkgs
  gguf=$($py -c 'from clawgym.models._smollm2 import gguf_path; print(gguf_path())')
  sha256sum "$gguf" | cut -d' ' -f1 > "$G/w2/gguf.sha256"
  split -b 48M "$gguf" "$G/part."
  mv "$G/part.aa" "$G/w1/" && mv "$G/part.ab" "$G/w2/"
  du -sh "$G"/*
  one=$(du -scm "$G/whl" "$G/w1" | tail -1 | cut -f1)
  echo "call 1 carries ${one} MiB + the working tree (~3 MiB); call 2 $(du -sm "$G/w2" | cut -f1) MiB + the tree (limit 64 MiB a call)"
  [ "$one" -le 60 ] || { echo "call 1 is too big: drop wheels the image already has" >&2; exit 1; }
  ;;
part1)
  mkdir -p "$W"
  cp "$G/w1/part.aa" "$W/"
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$W/site" "$G"/whl/*.whl
  PYTHONPATH="$W/site:src" python3 -c 'import clawgym.cli, clawgym.train, trl, datasets, gguf, torch; print("ready: torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0))'
  ;;
run)
  export PYTHONPATH="$W/site:src" PYTHONUNBUFFERED=1
  [ -f "$W/part.aa" ] || { echo "the first part is missing: the machine was not warm; run part1 again, then run at once" >&2; exit 2; }
  cat "$W/part.aa" "$G/w2/part.ab" > "$W/smollm2.gguf"
  [ "$(sha256sum "$W/smollm2.gguf" | cut -d' ' -f1)" = "$(cat "$G/w2/gguf.sha256")" ] || { echo "GGUF checksum mismatch" >&2; exit 3; }
  t0=$(date +%s)
  python3 -c "from pathlib import Path; from clawgym.models._smollm2 import ensure_converted; ensure_converted(Path('$W/smollm2'), gguf=Path('$W/smollm2.gguf'))"
  echo "converted in $(( $(date +%s) - t0 )) s"
  sandbox=bwrap
  command -v bwrap >/dev/null && bwrap --ro-bind / / true 2>/dev/null || sandbox=process  # gVisor may refuse namespaces
  echo "sandbox backend: $sandbox"
  nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv
  python3 -m clawgym demo --out "$W/demo" --model "hf:$W/smollm2" --device cuda --sandbox "$sandbox" \
      --train-tasks 320 --heldout-tasks 96 --heldout-family-tasks 32 \
      --sft-steps 1200 --sft-seconds 120 --max-length 2048 \
      --grpo-steps 12 --grpo-generations 8 --concurrency 64 2>&1 | tee "$OUT/log.txt"
  cp "$W/demo/demo.json" "$OUT/" 2>/dev/null || true
  cp "$W/demo/report.html" "$OUT/" 2>/dev/null || true
  echo "total $(( $(date +%s) - t0 )) s"
  ;;
*)
  echo "usage: gpu_demo_h200.sh prepare|part1|run" >&2; exit 64 ;;
esac
