"""Device and dtype from one place: the resolution rules, and the batching engine making every
tensor on the model's device (checked on CPU: no tensor is made without that device, and a model
that reports another device receives its inputs there)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from clawgym.models import (  # noqa: E402
    DeviceError, ModelError, SamplingParams, check_device_spec, pick_dtype, resolve_device,
)
from clawgym.models._batch import BatchEngine, GenRequest  # noqa: E402
from clawgym.models._hf import HFModel  # noqa: E402
from tests.models.test_hf import build  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build(tmp_path_factory.mktemp("tiny-device"))


def test_dtype_rules():
    assert pick_dtype("cuda", bf16_supported=True) == "bfloat16"
    assert pick_dtype("cuda", bf16_supported=False) == "float32"  # fp16 without loss scaling is not safe to train
    assert pick_dtype("cpu", bf16_supported=True) == "float32"
    assert pick_dtype("cpu", "bfloat16") == "bfloat16"  # asked for: honoured
    with pytest.raises(DeviceError, match="unknown dtype"):
        pick_dtype("cpu", "fp8")


def test_device_specs():
    assert check_device_spec(None) == "auto" and check_device_spec("CUDA:1") == "cuda:1"
    with pytest.raises(DeviceError, match="auto .* cpu, cuda or cuda:N"):
        check_device_spec("gpu0")
    assert resolve_device("cpu") == torch.device("cpu")
    if not torch.cuda.is_available():
        assert resolve_device("auto") == torch.device("cpu")
        with pytest.raises(DeviceError, match="no CUDA GPU.*--device cpu"):
            resolve_device("cuda:0")


def test_from_pretrained_places_and_casts(tiny):
    model = HFModel.from_pretrained(tiny, device="cpu", dtype="bfloat16")
    assert model.model.dtype == torch.bfloat16 and model.device == torch.device("cpu")
    assert model.config()["dtype"] == "bfloat16" and model.config()["device"] == "cpu"
    reply = model.chat([{"role": "user", "content": "hi"}], None, SamplingParams(max_tokens=4))  # bf16 runs
    assert reply.token_ids
    assert HFModel.from_pretrained(tiny).model.dtype == torch.float32  # auto on CPU: fp32


class _Factories(torch.overrides.TorchFunctionMode):
    """Records the `device=` of every tensor factory called from the batching engine's code."""

    FACTORIES = {"tensor", "zeros", "ones", "full", "arange", "empty", "randint", "zeros_like", "ones_like"}

    def __init__(self):
        super().__init__()
        self.calls: list[tuple[str, object, int]] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if name in self.FACTORIES and not name.endswith("_like"):
            for frame in inspect.stack()[1:6]:
                if "/torch/" in frame.filename:
                    continue
                if Path(frame.filename).name == "_batch.py":
                    self.calls.append((name, kwargs.get("device"), frame.lineno))
                break
        return func(*args, **kwargs)


def test_every_engine_tensor_is_made_on_the_engine_device(tiny):
    hf = HFModel.from_pretrained(tiny)
    eng = BatchEngine(hf.model, eos_ids=hf.eos_ids(), pad_id=0, max_batch=4, gather_s=0.0,
                      device=torch.device("cpu"))
    prompts = [hf.encode_prompt([{"role": "user", "content": f"hello {i}"}], None) for i in range(3)]
    spy = _Factories()
    eng._thread = "driven by the test"  # no worker thread: the mode is thread-local, the steps run here
    with spy:
        rows = [eng.submit(GenRequest(prompt_ids=p, max_new_tokens=5, temperature=0.7 * (i % 2), seed=i))
                for i, p in enumerate(prompts)]
        with torch.no_grad():
            eng._admit(eng._pending[:])
            eng._pending.clear()
            while eng._rows:
                eng._step()
    made = [(n, d) for n, d, _ in spy.calls if n != "randint"]  # randint: a host-side seed, not a tensor we feed
    assert made, "the spy saw no tensor factory in the engine"
    assert all(d == torch.device("cpu") for _, d in made), spy.calls
    assert all(r.result(timeout=0).token_ids for r in rows)
    eng._thread = None


def test_inputs_go_to_the_device_the_model_reports(tiny):
    """A model that says it lives on 'meta' gets its ids, mask and positions there: nothing is
    pinned to the CPU (the forward pass then fails, as it would for a real mismatch)."""
    hf = HFModel.from_pretrained(tiny)
    seen: list[str] = []

    class Elsewhere(torch.nn.Module):
        config = hf.model.config
        device = torch.device("meta")

        def forward(self, input_ids, attention_mask, position_ids, **kw):
            seen.extend(t.device.type for t in (input_ids, attention_mask, position_ids))
            raise RuntimeError("stop here")

    eng = BatchEngine(Elsewhere(), eos_ids={1}, pad_id=0, gather_s=0.0)
    assert eng.device == torch.device("meta")
    with pytest.raises(ModelError, match="stop here"):
        eng.generate(GenRequest(prompt_ids=[5, 6, 7], max_new_tokens=2))
    assert seen == ["meta", "meta", "meta"]
    eng.close()
