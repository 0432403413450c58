"""Continuous batching: concurrent requests share forward passes and get exactly what they would
have got alone (greedy tokens, logprobs, per-request seeds, stop conditions)."""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("transformers")

import torch  # noqa: E402

from clawgym.models import SamplingParams  # noqa: E402
from clawgym.models._batch import BatchEngine, GenRequest  # noqa: E402
from clawgym.models._hf import HFModel  # noqa: E402
from tests.models.test_hf import build  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build(tmp_path_factory.mktemp("tiny-batch"))


def prompts(model: HFModel, n: int) -> list[list[int]]:
    words = ["read the file", "write json output", "exec command in workspace please now", "edit path",
             "process content input output json read write", "a", "workspace", "command exec read edit write"]
    return [model.encode_prompt([{"role": "user", "content": words[i % len(words)] * (1 + i % 3)}], None)
            for i in range(n)]


def reference(model: HFModel, ids: list[int], n: int):
    """Greedy decoding with transformers' own generate(), one sequence, no batching."""
    out = model.model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                               max_new_tokens=n, do_sample=False, output_scores=True,
                               return_dict_in_generate=True, pad_token_id=model.tokenizer.pad_token_id)
    scores = model.model.compute_transition_scores(out.sequences, out.scores, normalize_logits=True)
    return out.sequences[0, len(ids):].tolist(), scores[0].tolist()


def test_batched_greedy_matches_generate_token_for_token(tiny):
    model = HFModel.from_pretrained(tiny)
    engine = BatchEngine(model.model, eos_ids=set(), pad_id=model.tokenizer.pad_token_id, max_batch=8, gather_s=0.2)
    ps = prompts(model, 6)
    lengths = [5, 9, 3, 12, 7, 1]  # each request finishes on its own budget and leaves the batch
    futures = [engine.submit(GenRequest(prompt_ids=p, max_new_tokens=n)) for p, n in zip(ps, lengths)]
    results = [f.result(timeout=60) for f in futures]
    engine.close()
    assert engine.stats.max_batch_seen == 6  # all six ran together, not one after another
    for p, n, res in zip(ps, lengths, results):
        ids, lps = reference(model, p, n)
        assert res.token_ids == ids and res.finish_reason == "length" and res.prompt_tokens == len(p)
        assert res.logprobs == pytest.approx(lps, abs=1e-4)


def test_newcomers_join_a_running_batch(tiny):
    model = HFModel.from_pretrained(tiny)
    engine = BatchEngine(model.model, eos_ids=set(), pad_id=model.tokenizer.pad_token_id, gather_s=0)
    a, b, c = prompts(model, 3)
    first = engine.submit(GenRequest(prompt_ids=a, max_new_tokens=40))
    while engine.stats.decode_tokens < 3:  # `a` is decoding
        threading.Event().wait(0.001)
    later = [engine.submit(GenRequest(prompt_ids=p, max_new_tokens=6)) for p in (b, c)]
    results = [f.result(timeout=60) for f in [first, *later]]
    engine.close()
    assert engine.stats.max_batch_seen >= 2
    for p, n, res in zip((a, b, c), (40, 6, 6), results):
        assert res.token_ids == reference(model, p, n)[0]


def test_identical_prompts_are_prefilled_once_and_seeds_are_per_request(tiny):
    model = HFModel.from_pretrained(tiny)
    engine = BatchEngine(model.model, eos_ids=set(), pad_id=model.tokenizer.pad_token_id, gather_s=0.2)
    p = prompts(model, 1)[0]
    reqs = [GenRequest(prompt_ids=p, max_new_tokens=10, temperature=1.0, seed=s) for s in (1, 2, 3, 1)]
    results = [f.result(timeout=60) for f in [engine.submit(r) for r in reqs]]
    assert engine.stats.prefill_deduped == 3 and engine.stats.prefill_tokens == len(p)
    assert results[0].token_ids == results[3].token_ids  # same seed, same tokens, whatever the neighbours
    assert len({tuple(r.token_ids) for r in results}) >= 2
    alone = engine.submit(GenRequest(prompt_ids=p, max_new_tokens=10, temperature=1.0, seed=2)).result(timeout=60)
    assert alone.token_ids == results[1].token_ids
    engine.close()
    # a sampled token's logprob is log_softmax(logits / T) at its position
    with torch.no_grad():
        full = torch.tensor([p + results[0].token_ids])
        logits = model.model(full).logits[0, len(p) - 1:-1]
    expect = torch.log_softmax(logits, -1).gather(1, torch.tensor(results[0].token_ids)[:, None])[:, 0]
    assert results[0].logprobs == pytest.approx(expect.tolist(), abs=1e-4)


def test_eos_and_stop_strings_end_a_request(tiny):
    model = HFModel.from_pretrained(tiny)
    p = prompts(model, 1)[0]
    ids, _ = reference(model, p, 8)
    engine = BatchEngine(model.model, eos_ids={ids[3]}, pad_id=0, decode=model._decode, gather_s=0)
    res = engine.generate(GenRequest(prompt_ids=p, max_new_tokens=8))
    assert res.token_ids == ids[: ids.index(ids[3]) + 1] and res.finish_reason == "stop"
    engine.close()
    stop_text = model._decode(ids[:2])
    engine = BatchEngine(model.model, eos_ids=set(), pad_id=0, decode=model._decode, gather_s=0)
    res = engine.generate(GenRequest(prompt_ids=p, max_new_tokens=8, stop=[stop_text]))
    assert res.finish_reason == "stop" and stop_text in model._decode(res.token_ids) and len(res.token_ids) <= 8
    engine.close()


def test_concurrent_chat_calls_through_hfmodel(tiny):
    model = HFModel.from_pretrained(tiny)
    assert model.batching
    msgs = [[{"role": "user", "content": f"read file {i}"}] for i in range(8)]
    out: dict[int, object] = {}

    def call(i):
        out[i] = model.chat(msgs[i], None, SamplingParams(max_tokens=6 + i))

    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert model.engine().stats.max_batch_seen >= 2
    serial = HFModel(model.model, model.tokenizer, batching=False)
    for i in range(8):
        alone = serial.chat(msgs[i], None, SamplingParams(max_tokens=6 + i))
        assert out[i].token_ids == alone.token_ids and out[i].prompt_token_ids == alone.prompt_token_ids
        assert out[i].logprobs == pytest.approx(alone.logprobs, abs=1e-4)
        assert out[i].usage == alone.usage and out[i].finish_reason == alone.finish_reason
    model.close()


def test_a_deadline_ends_generation_as_length(tiny):
    model = HFModel.from_pretrained(tiny)
    resp = model.chat([{"role": "user", "content": "hi"}], None, SamplingParams(max_tokens=5000), timeout_s=0.05)
    assert resp.finish_reason in ("length", "tool_calls") and len(resp.token_ids) < 5000
    model.close()


def test_prefix_cache_prefills_only_the_new_tokens_and_changes_nothing(tiny):
    model = HFModel.from_pretrained(tiny)
    engine = BatchEngine(model.model, eos_ids=set(), pad_id=model.tokenizer.pad_token_id, gather_s=0.2)
    a, c, d = prompts(model, 3)
    first = engine.generate(GenRequest(prompt_ids=a, max_new_tokens=8))
    tool = model.tokenizer("<|im_end|>\n<|im_start|>user\nread write<|im_end|>\n<|im_start|>assistant\n",
                           add_special_tokens=False)["input_ids"]
    b = a + first.token_ids + tool  # the next turn of a conversation: cached prefix + new tokens
    before = engine.stats.prefill_tokens
    # b (cache hit, past of len(a)+7) prefilled in one batch with c and d (no past): padding
    # sits in the middle of b's neighbours' rows
    futures = [engine.submit(GenRequest(prompt_ids=x, max_new_tokens=6)) for x in (b, c, d)]
    results = [f.result(timeout=60) for f in futures]
    assert engine.stats.prefix_hit_tokens == len(a) + 7
    assert engine.stats.prefill_tokens - before == len(b) - (len(a) + 7) + len(c) + len(d)
    for x, res in zip((b, c, d), results):
        ids, lps = reference(model, x, 6)
        assert res.token_ids == ids
        assert res.logprobs == pytest.approx(lps, abs=1e-4)
    engine.clear_prefix_cache()
    again = engine.generate(GenRequest(prompt_ids=b, max_new_tokens=6))
    assert again.token_ids == results[0].token_ids and engine.stats.prefix_hit_tokens == len(a) + 7
    engine.close()


def test_a_prefix_shared_with_a_running_sequence_is_not_prefilled_again(tiny):
    model = HFModel.from_pretrained(tiny)
    engine = BatchEngine(model.model, eos_ids=set(), pad_id=model.tokenizer.pad_token_id, gather_s=0)
    system = [{"role": "system", "content": "read write edit exec process path content command " * 4}]
    a = model.encode_prompt(system + [{"role": "user", "content": "read the input"}], None)
    b = model.encode_prompt(system + [{"role": "user", "content": "write json output now"}], None)
    shared = next(i for i, (x, y) in enumerate(zip(a, b)) if x != y)
    assert shared >= 20
    first = engine.submit(GenRequest(prompt_ids=a, max_new_tokens=30))
    while engine.stats.decode_tokens < 3:
        threading.Event().wait(0.001)
    second = engine.submit(GenRequest(prompt_ids=b, max_new_tokens=6))
    ra, rb = first.result(timeout=60), second.result(timeout=60)
    assert engine.stats.prefix_hit_tokens == shared
    assert ra.token_ids == reference(model, a, 30)[0] and rb.token_ids == reference(model, b, 6)[0]
    engine.close()


def test_newcomers_sharing_a_system_prompt_prefill_it_once(tiny):
    model = HFModel.from_pretrained(tiny)
    engine = BatchEngine(model.model, eos_ids=set(), pad_id=model.tokenizer.pad_token_id, gather_s=0.2)
    system = [{"role": "system", "content": "read write edit exec process path content command " * 4}]
    ps = [model.encode_prompt(system + [{"role": "user", "content": u}], None)
          for u in ("read the input", "write json output now", "exec a command", "edit")]
    shared = min(next(i for i, (x, y) in enumerate(zip(ps[0], p)) if x != y) for p in ps[1:])
    results = [f.result(timeout=60) for f in [engine.submit(GenRequest(prompt_ids=p, max_new_tokens=5)) for p in ps]]
    assert engine.stats.prefix_hit_tokens == 4 * shared
    assert engine.stats.prefill_tokens == shared + sum(len(p) - shared for p in ps)
    for p, res in zip(ps, results):
        ids, lps = reference(model, p, 5)
        assert res.token_ids == ids and res.logprobs == pytest.approx(lps, abs=1e-4)
    engine.close()
