"""Near-duplicate detection with MinHash LSH (datasketch): the one implementation that synthesis
(drop a generated task too close to one kept before) and benchmark selection (drop a pool task
too close to an earlier one) share; each passes its own threshold.

Texts become lower-cased word 3-shingles, hashed to 32 bits with a stable hash (not Python's
randomized one), so the same texts give the same verdicts in every process. A caller may add
tokens of its own to a text's set (selection adds one per workspace file's content hash).
Candidates come from the LSH index; a candidate is confirmed by its estimated Jaccard similarity
(`NearDuplicateIndex.check`) or by the exact one (`near_pairs`). Order decides which of two
duplicates survives: the earlier one.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Sequence

import numpy as np
from datasketch import MinHash, MinHashLSH

__all__ = ["NearDuplicateIndex", "dedup", "near_pairs", "shingles"]

_WORD = re.compile(r"[a-z0-9]+(?:[._/-][a-z0-9]+)*")
_MERSENNE = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)


def shingles(text: str, k: int = 3) -> set[bytes]:
    """The text's word k-shingles (a text shorter than k words is one shingle of all of them)."""
    words = _WORD.findall(text.lower())
    if len(words) < k:
        return {" ".join(words).encode()} if words else {b""}
    return {" ".join(words[i:i + k]).encode() for i in range(len(words) - k + 1)}


class NearDuplicateIndex:
    """`check(key, text)`: the key of an earlier kept near-duplicate, or None (and `text` is
    kept). `threshold` is the Jaccard similarity of shingle sets at or above which two texts are
    duplicates (0.7 by default); `candidate_threshold` (default: `threshold`) tunes the LSH bands
    that propose candidates: lower finds more of the pairs near the threshold, at more checks."""

    def __init__(self, threshold: float = 0.7, num_perm: int = 128, shingle: int = 3, seed: int = 1, *,
                 candidate_threshold: float | None = None):
        if not 0 < threshold <= 1:
            raise ValueError(f"the dedup threshold must be in (0, 1], got {threshold}")
        self.threshold, self.num_perm, self.k = threshold, num_perm, shingle
        self.lsh = MinHashLSH(threshold=candidate_threshold or threshold, num_perm=num_perm)
        self._template = MinHash(num_perm=num_perm, seed=seed)
        self._kept: dict[str, MinHash] = {}

    def minhash_of(self, tokens: Iterable[bytes]) -> MinHash:
        """The MinHash of a set of tokens (shingles, plus whatever a caller adds)."""
        m = self._template.copy()
        hashes = np.fromiter((zlib.crc32(s) for s in tokens), dtype=np.uint64)
        if hashes.size == 0:
            return m
        # datasketch's update_batch hashes bytes again; feed the stable 32-bit values straight in
        a, b = m.permutations
        phv = np.bitwise_and((np.outer(hashes, a) + b) % _MERSENNE, _MAX_HASH)
        m.hashvalues = np.minimum(phv.min(axis=0), m.hashvalues)
        return m

    def minhash(self, text: str) -> MinHash:
        return self.minhash_of(shingles(text, self.k))

    def candidates(self, m: MinHash) -> list[str]:
        """Keys of kept entries that the LSH bands pair with `m` (unconfirmed)."""
        return sorted(self.lsh.query(m))

    def add(self, key: str, m: MinHash) -> None:
        """Keep `m` under `key` without checking it."""
        self.lsh.insert(key, m)
        self._kept[key] = m

    def check(self, key: str, text: str) -> str | None:
        m = self.minhash(text)
        best: tuple[float, str] | None = None
        for cand in self.candidates(m):
            sim = m.jaccard(self._kept[cand])
            if sim >= self.threshold and (best is None or (sim, cand) > best):
                best = (sim, cand)
        if best is not None:
            return best[1]
        self.add(key, m)
        return None

    def similarity(self, a: str, b: str) -> float:
        return self._kept[a].jaccard(self._kept[b])


def dedup(items: Iterable[tuple[str, str]], *, threshold: float = 0.7, against: Iterable[tuple[str, str]] = (),
          num_perm: int = 128) -> dict[str, str | None]:
    """{key: None if kept, else the key it duplicates}, in order; `against` (earlier batches,
    an existing dataset) is indexed first and never removed itself."""
    index = NearDuplicateIndex(threshold, num_perm)
    for key, text in against:
        index.check(key, text)
    return {key: index.check(key, text) for key, text in items}


def near_pairs(token_sets: Sequence[set[bytes]], threshold: float, *, num_perm: int = 128,
               candidate_threshold: float = 0.5) -> list[tuple[int, int, float]]:
    """Every pair (i, j, jaccard), i < j, whose token sets have an exact Jaccard similarity of at
    least `threshold`, in order. Candidates come from MinHash LSH tuned to `candidate_threshold`
    (lower than `threshold`, so a pair just above it is rarely missed); each is confirmed exactly."""
    index = NearDuplicateIndex(threshold, num_perm, candidate_threshold=min(candidate_threshold, threshold))
    out = []
    for j, tokens in enumerate(token_sets):
        m = index.minhash_of(tokens)
        for cand in index.candidates(m):
            i = int(cand)
            union = len(token_sets[i] | tokens)
            jac = len(token_sets[i] & tokens) / union if union else 1.0
            if jac >= threshold:
                out.append((i, j, jac))
        index.add(str(j), m)
    return sorted(out)
