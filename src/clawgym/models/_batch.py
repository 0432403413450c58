"""Continuous batching for in-process causal LMs: many threads, one forward pass per step.

Requests arrive from any number of threads (`BatchEngine.generate`, blocking). One worker thread
owns the model: it admits waiting requests (a left-padded batch prefill, identical prompts
prefilled once — a GRPO group shares its prompt), merges their KV cache into the running batch,
and decodes one token for every running sequence per forward pass. Each sequence finishes on
its own (EOS, stop string, token budget, deadline) and leaves the batch at once; newcomers join
at the next step, so no request waits for a whole batch to drain.

A prefix cache keeps the KV of recently finished sequences (bounded in tokens): a multi-turn
agent's next prompt is its last prompt + completion + tool results, so only the new tokens are
prefilled. Call `clear_prefix_cache()` whenever the weights change (a trainer does, every step).

Token ids and logprobs come back per request. A logprob is that of the sampled token under the
distribution it was drawn from before top-p truncation: `log_softmax(logits / T)` when sampling,
`log_softmax(logits)` when greedy (the quantity TRL's GRPO recomputes under the policy).
A seeded request draws from its own generator, so its tokens do not depend on its neighbours.

Every tensor the engine makes (ids, masks, positions, the sampling generators) is made on the
model's device (`device=`, default: where the weights are), so the same engine runs a CUDA model;
the chosen tokens and their logprobs come back to the host once per step, not once per row.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import torch

from clawgym.models._base import ModelError
from clawgym.models._device import model_device


MIN_PREFIX = 8  # shorter shared prefixes are prefilled again (not worth a copy)


def _common(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    """Length of the common prefix of two token sequences."""
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n  # a[:lo] == b[:lo], a[:hi] != b[:hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid
    return lo


def _grow_layer_class():
    """A KV cache layer over a preallocated buffer: a decode step writes one column in place
    instead of re-concatenating the whole cache (which costs as much as the matmuls at batch 8)."""
    from transformers.cache_utils import DynamicLayer

    class GrowLayer(DynamicLayer):
        def __init__(self, keys: torch.Tensor | None = None, values: torch.Tensor | None = None,
                     length: int = 0):
            super().__init__()
            self.kbuf, self.vbuf, self.length = keys, values, length
            if keys is not None:
                self.is_initialized, self.device = True, keys.device
                self.keys, self.values = keys[:, :, :length], values[:, :, :length]

        def update(self, key_states, value_states, *args, **kwargs):
            n = key_states.shape[-2]
            need = self.length + n
            if self.kbuf is None or need > self.kbuf.shape[2]:
                cap = need + max(64, need // 2)
                shape = (*key_states.shape[:2], cap, key_states.shape[3])
                kb, vb = key_states.new_empty(shape), value_states.new_empty(shape)
                if self.length:
                    kb[:, :, :self.length] = self.kbuf[:, :, :self.length]
                    vb[:, :, :self.length] = self.vbuf[:, :, :self.length]
                self.kbuf, self.vbuf = kb, vb
                self.is_initialized, self.device = True, key_states.device
            self.kbuf[:, :, self.length:need] = key_states
            self.vbuf[:, :, self.length:need] = value_states
            self.length = need
            self.keys, self.values = self.kbuf[:, :, :need], self.vbuf[:, :, :need]
            return self.keys, self.values

        def get_seq_length(self) -> int:
            return self.length

    return GrowLayer


@dataclass
class GenRequest:
    prompt_ids: list[int]
    max_new_tokens: int
    temperature: float = 0.0
    top_p: float | None = None
    seed: int | None = None
    stop: list[str] | None = None
    deadline: float | None = None  # time.monotonic() after which the request ends as "length"


@dataclass
class GenResult:
    token_ids: list[int]
    logprobs: list[float]
    finish_reason: str  # "stop" (EOS or a stop string) or "length" (budget or deadline)
    prompt_tokens: int


@dataclass
class _Row:
    req: GenRequest
    future: Future
    generator: torch.Generator | None
    n_real: int  # real (non-pad) tokens in the cache for this row
    ids: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    done: str | None = None


@dataclass
class EngineStats:
    forward_passes: int = 0
    prefill_tokens: int = 0
    prefill_deduped: int = 0  # prompts served by another identical prompt's prefill
    decode_tokens: int = 0
    max_batch_seen: int = 0
    prefix_hit_tokens: int = 0  # prompt tokens whose KV came from the prefix cache


class BatchEngine:
    """Continuous batching over one `transformers` causal LM (any model taking `cache=`)."""

    def __init__(self, model: Any, *, eos_ids: set[int], pad_id: int, decode: Any = None,
                 max_batch: int = 16, gather_s: float = 0.02, prefix_cache_tokens: int = 8192,
                 device: Any = None, autocast: Any = None):
        from collections import OrderedDict

        self.model, self.eos_ids, self.pad_id = model, set(eos_ids), pad_id
        self.device = torch.device(device) if device is not None else model_device(model)
        self.autocast = autocast  # a torch dtype: forward passes under torch.autocast (None: as loaded)
        self.prefix_cache_tokens = prefix_cache_tokens
        self._prefixes: OrderedDict[tuple[int, ...], list[tuple[torch.Tensor, torch.Tensor]]] = OrderedDict()
        self._prefix_size = 0
        self._prefix_lock = threading.Lock()
        self.decode = decode  # ids -> text, for stop strings
        self.max_batch, self.gather_s = max_batch, gather_s
        self.stats = EngineStats()
        self._cond = threading.Condition()
        self._pending: list[_Row] = []
        self._closed = False
        self._thread: threading.Thread | None = None
        # the running batch
        self._rows: list[_Row] = []
        self._kv: list[tuple[torch.Tensor, torch.Tensor]] | None = None  # [B, H, L, D] each
        self._bufs: list[Any] | None = None  # the cache layers whose buffers hold _kv (None: copy first)
        self._layer_cls: Any = None
        self._mask: torch.Tensor | None = None  # [B, L] 1 = real token
        self._last: torch.Tensor | None = None  # [B] the token each row feeds next

    # -- the caller's side ------------------------------------------------------------------
    def submit(self, req: GenRequest) -> Future:
        if req.max_new_tokens < 1:
            raise ValueError("max_new_tokens must be >= 1")
        gen = None
        if req.temperature > 0:
            gen = torch.Generator(device=self.device)
            gen.manual_seed(req.seed if req.seed is not None else int(torch.randint(0, 2**62, (1,))))
        row = _Row(req=req, future=Future(), generator=gen, n_real=len(req.prompt_ids))
        with self._cond:
            if self._closed:
                raise ModelError("the model was closed")
            self._pending.append(row)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="clawgym-batch-engine", daemon=True)
                self._thread.start()
            self._cond.notify_all()
        return row.future

    def generate(self, req: GenRequest) -> GenResult:
        return self.submit(req).result()

    def clear_prefix_cache(self) -> None:
        """Forget cached prefixes (their KV belongs to the weights they were computed with)."""
        with self._prefix_lock:
            self._prefixes.clear()
            self._prefix_size = 0

    def close(self) -> None:
        self.clear_prefix_cache()
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)

    # -- the worker ---------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._rows and not self._closed:
                    self._cond.wait()
                if self._closed:
                    err = ModelError("the model was closed")
                    for row in self._pending + self._rows:
                        if not row.future.done():
                            row.future.set_exception(err)
                    self._pending, self._rows = [], []
                    return
                if not self._rows and self.gather_s > 0:  # idle: let a burst of requests gather
                    end = time.monotonic() + self.gather_s
                    while len(self._pending) < self.max_batch and (left := end - time.monotonic()) > 0:
                        self._cond.wait(left)
                room = self.max_batch - len(self._rows)
                new, self._pending = self._pending[:room], self._pending[room:]
            try:
                with torch.no_grad():
                    if new:
                        self._admit(new)
                    if self._rows:
                        self._step()
            except BaseException as exc:  # a model failure fails the requests it touched, not the engine
                err = exc if isinstance(exc, ModelError) else ModelError(f"generation failed: {type(exc).__name__}: {exc}")
                for row in self._rows + new:
                    if not row.future.done():
                        row.future.set_exception(err)
                self._rows, self._kv, self._mask, self._last, self._bufs = [], None, None, None, None

    def _forward(self, input_ids, mask, positions, kv, layers=None):
        """One forward pass over `kv` (a list of per-layer K/V, or None); `layers`: the cache
        layers already holding `kv` in growable buffers (the decode steps reuse them)."""
        from transformers import DynamicCache

        if self._layer_cls is None:
            self._layer_cls = _grow_layer_class()
        if layers is None:
            if kv is None:
                layers = None
            else:  # copy once into buffers with room to grow
                layers = [self._layer_cls() for _ in kv]
                for layer, (k, v) in zip(layers, kv):
                    layer.update(k, v)
        cache = DynamicCache()
        cache.layer_class_to_replicate = self._layer_cls
        if layers is not None:
            cache.layers = layers
        if self.autocast is not None:
            with torch.autocast(self.device.type, dtype=self.autocast):
                out = self.model(input_ids=input_ids, attention_mask=mask, position_ids=positions, cache=cache,
                                 use_cache=True, logits_to_keep=1)
        else:
            out = self.model(input_ids=input_ids, attention_mask=mask, position_ids=positions, cache=cache,
                             use_cache=True, logits_to_keep=1)
        self.stats.forward_passes += 1
        self._last_layers = list(out.cache.layers)
        new_kv = [(layer.keys, layer.values) for layer in out.cache.layers]
        return out.logits[:, -1, :].float(), new_kv

    def _admit(self, rows: list[_Row]) -> None:
        """Prefill the newcomers (identical prompts once, cached prefixes not again), sample their
        first token, merge them into the running batch."""
        unique: dict[tuple[int, ...], int] = {}
        which = [unique.setdefault(tuple(r.req.prompt_ids), len(unique)) for r in rows]
        prompts = list(unique)
        self._share_common_prefix(prompts)
        pasts = [self._lookup(p) for p in prompts]  # (n cached tokens, kv) or (0, None)
        plen = [n for n, _ in pasts]
        width_p = max(plen)
        suffixes = [p[n:] for p, n in zip(prompts, plen)]
        width_s = max(len(x) for x in suffixes)
        u, dev = len(prompts), self.device
        rows_ids = [[self.pad_id] * (width_s - len(x)) + list(x) for x in suffixes]  # left-padded, built on the host
        rows_mask = [[0] * (width_s - len(x)) + [1] * len(x) for x in suffixes]
        ids = torch.tensor(rows_ids, dtype=torch.long, device=dev)
        smask = torch.tensor(rows_mask, dtype=torch.long, device=dev)
        positions = torch.tensor(plen, dtype=torch.long, device=dev)[:, None] + (smask.cumsum(-1) - 1).clamp(min=0)
        past = None
        pmask = torch.zeros((u, width_p), dtype=torch.long, device=dev)
        if width_p:
            ref = next(kv for _, kv in pasts if kv is not None)
            past = []
            for layer, (k0, v0) in enumerate(ref):
                k = k0.new_zeros((u, k0.shape[1], width_p, k0.shape[3]))
                v = v0.new_zeros((u, v0.shape[1], width_p, v0.shape[3]))
                for i, (n, kv) in enumerate(pasts):
                    if kv is not None:
                        k[i, :, width_p - n:] = kv[layer][0][0]
                        v[i, :, width_p - n:] = kv[layer][1][0]
                past.append((k, v))
            for i, n in enumerate(plen):
                pmask[i, width_p - n:] = 1
        mask = torch.cat([pmask, smask], dim=1)
        logits, kv = self._forward(ids, mask, positions, past)
        self.stats.prefill_tokens += sum(len(x) for x in suffixes)
        self.stats.prefix_hit_tokens += sum(plen)
        self.stats.prefill_deduped += len(rows) - u
        index = torch.tensor(which, dtype=torch.long, device=self.device)
        if u != len(rows) or which != list(range(len(rows))):
            kv = [(k.index_select(0, index), v.index_select(0, index)) for k, v in kv]
            mask = mask.index_select(0, index)
        logits = logits.index_select(0, index)
        first = self._sample(rows, logits)
        self._merge(rows, kv, mask, first)
        self.stats.max_batch_seen = max(self.stats.max_batch_seen, len(self._rows))
        self._finish_some()

    def _share_common_prefix(self, prompts: list[tuple[int, ...]]) -> None:
        """Newcomers that share a prefix (the system prompt and tool schemas of a run's rollouts)
        get it prefilled once, into the prefix cache, before their own prefill."""
        if not self.prefix_cache_tokens or len(prompts) < 2:
            return
        shared = min(len(p) for p in prompts) - 1
        for p in prompts[1:]:
            shared = min(shared, _common(prompts[0], p))
        if shared < MIN_PREFIX or shared > self.prefix_cache_tokens or self._lookup(prompts[0])[0] >= shared:
            return
        key = prompts[0][:shared]
        ids = torch.tensor([key], dtype=torch.long, device=self.device)
        _, kv = self._forward(ids, torch.ones_like(ids), torch.arange(shared, device=self.device)[None], None)
        self.stats.prefill_tokens += shared
        with self._prefix_lock:
            self._prefixes[key] = [(k[:, :, :shared].clone(), v[:, :, :shared].clone()) for k, v in kv]
            self._prefix_size += shared
            while self._prefix_size > self.prefix_cache_tokens and len(self._prefixes) > 1:
                old, _ = self._prefixes.popitem(last=False)
                self._prefix_size -= len(old)

    def _lookup(self, prompt: tuple[int, ...]):
        """The longest common prefix of `prompt` with a cached sequence or a running one (whose
        KV is in the batch), leaving at least one token to prefill: (n, per-layer KV of n tokens).
        Causal attention makes the KV of a prefix depend on that prefix alone."""
        if not self.prefix_cache_tokens:
            return 0, None
        best, source = 0, None
        with self._prefix_lock:
            for key, kv in self._prefixes.items():
                n = min(_common(prompt, key), len(prompt) - 1)
                if n > best:
                    best, source = n, ("cache", key, kv)
            for j, row in enumerate(self._rows):
                key = tuple(row.req.prompt_ids) + tuple(row.ids[:-1])
                n = min(_common(prompt, key), len(prompt) - 1)
                if n > best:
                    best, source = n, ("row", j, None)
            if best < MIN_PREFIX or source is None:
                return 0, None
            if source[0] == "cache":
                self._prefixes.move_to_end(source[1])
                return best, [(k[:, :, :best], v[:, :, :best]) for k, v in source[2]]
        j = source[1]
        real = self._mask[j].nonzero().squeeze(1)[:best]
        return best, [(k[j:j + 1].index_select(2, real), v[j:j + 1].index_select(2, real)) for k, v in self._kv]

    def _remember(self, i: int, row: _Row) -> None:
        """Keep row i's KV (its real tokens) under the token ids it covers."""
        if not self.prefix_cache_tokens:
            return
        key = tuple(row.req.prompt_ids) + tuple(row.ids[:-1])  # the last sampled token was never fed
        real = self._mask[i].bool()
        if int(real.sum()) != len(key) or len(key) > self.prefix_cache_tokens:
            return
        kv = [(k[i:i + 1, :, real].clone(), v[i:i + 1, :, real].clone()) for k, v in self._kv]
        with self._prefix_lock:
            if key in self._prefixes:
                return
            self._prefixes[key] = kv
            self._prefix_size += len(key)
            while self._prefix_size > self.prefix_cache_tokens and self._prefixes:
                old, _ = self._prefixes.popitem(last=False)
                self._prefix_size -= len(old)

    def _merge(self, rows, kv, mask, first) -> None:
        if not self._rows:
            self._rows, self._kv, self._mask, self._last = list(rows), kv, mask, first
            layers = getattr(self, "_last_layers", None)
            self._bufs = layers if layers and kv and kv[0][0] is layers[0].keys else None
            return
        la, ln = self._mask.shape[1], mask.shape[1]

        def left_pad(t: torch.Tensor, n: int, dim: int) -> torch.Tensor:
            if n == 0:
                return t
            shape = list(t.shape)
            shape[dim] = n
            return torch.cat([t.new_zeros(shape), t], dim=dim)

        width = max(la, ln)
        self._bufs = None
        self._kv = [(torch.cat([left_pad(ka, width - la, 2), left_pad(kn, width - ln, 2)]),
                     torch.cat([left_pad(va, width - la, 2), left_pad(vn, width - ln, 2)]))
                    for (ka, va), (kn, vn) in zip(self._kv, kv)]
        self._mask = torch.cat([left_pad(self._mask, width - la, 1), left_pad(mask, width - ln, 1)])
        self._last = torch.cat([self._last, first])
        self._rows += rows

    def _step(self) -> None:
        """One decode step for every running row."""
        b = len(self._rows)
        self.stats.max_batch_seen = max(self.stats.max_batch_seen, b)
        self._mask = torch.cat([self._mask, self._mask.new_ones((b, 1))], dim=1)
        positions = torch.tensor([[r.n_real] for r in self._rows], dtype=torch.long, device=self.device)
        logits, self._kv = self._forward(self._last.view(b, 1), self._mask, positions, self._kv, self._bufs)
        self._bufs = self._last_layers
        for r in self._rows:
            r.n_real += 1
        self._last = self._sample(self._rows, logits)
        self._finish_some()

    def _sample(self, rows: list[_Row], logits: torch.Tensor) -> torch.Tensor:
        """One token per row, drawn on the model's device; tokens and logprobs reach the host in
        one transfer (per-row `int()` would synchronise a GPU once per row)."""
        toks, lps = [], []
        for row, lg in zip(rows, logits):
            t = row.req.temperature
            if t > 0:
                logp = torch.log_softmax(lg / t, dim=-1)
                probs = logp.exp()
                if row.req.top_p is not None and row.req.top_p < 1:
                    sp, si = probs.sort(descending=True)
                    cut = sp.cumsum(-1) - sp > row.req.top_p  # keep the smallest set reaching top_p
                    sp[cut] = 0
                    probs = torch.zeros_like(probs).scatter_(0, si, sp)
                tok = torch.multinomial(probs, 1, generator=row.generator)[0]
            else:
                logp = torch.log_softmax(lg, dim=-1)
                tok = lg.argmax()
            toks.append(tok)
            lps.append(logp[tok])
        chosen = torch.stack(toks)
        host = torch.stack([chosen.to(torch.float64), torch.stack(lps).to(torch.float64)]).tolist()
        for row, tok, lp in zip(rows, host[0], host[1]):
            tok = int(tok)
            row.ids.append(tok)
            row.logprobs.append(float(lp))
            self.stats.decode_tokens += 1
            row.done = self._finished(row, tok)
        return chosen.to(torch.long)

    def _finished(self, row: _Row, tok: int) -> str | None:
        if tok in self.eos_ids:
            return "stop"
        if row.req.stop and self.decode is not None:
            text = self.decode(row.ids)
            if any(s in text for s in row.req.stop):
                return "stop"
        if len(row.ids) >= row.req.max_new_tokens:
            return "length"
        if row.req.deadline is not None and time.monotonic() >= row.req.deadline:
            return "length"
        return None

    def _finish_some(self) -> None:
        keep = [i for i, r in enumerate(self._rows) if r.done is None]
        for i, r in enumerate(self._rows):
            if r.done is not None:
                try:
                    self._remember(i, r)
                except Exception:  # a cache is an optimisation: never a failure
                    pass
                r.future.set_result(GenResult(token_ids=r.ids, logprobs=r.logprobs, finish_reason=r.done,
                                              prompt_tokens=len(r.req.prompt_ids)))
        if len(keep) == len(self._rows):
            return
        if not keep:
            self._rows, self._kv, self._mask, self._last, self._bufs = [], None, None, None, None
            return
        idx = torch.tensor(keep, dtype=torch.long, device=self.device)
        mask = self._mask.index_select(0, idx)
        lead = int((mask.sum(0) == 0).long().cumprod(0).sum())  # columns that are padding for every row
        self._mask = mask[:, lead:]
        self._kv = [(k.index_select(0, idx)[:, :, lead:], v.index_select(0, idx)[:, :, lead:]) for k, v in self._kv]
        self._bufs = None
        self._last = self._last.index_select(0, idx)
        self._rows = [self._rows[i] for i in keep]
