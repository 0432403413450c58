"""Near-duplicate removal with MinHash LSH (datasketch), across categories and batches.

Texts are lower-cased word 3-shingles (hashed to 32 bits with a stable hash, not Python's
randomized one); each text's MinHash is queried against the LSH index of everything kept so
far, candidates are confirmed by their estimated Jaccard similarity, and only texts that match
nothing are inserted. Order decides which of two duplicates survives: the earlier one.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable

import numpy as np
from datasketch import MinHash, MinHashLSH

_WORD = re.compile(r"[a-z0-9]+(?:[._/-][a-z0-9]+)*")


def shingles(text: str, k: int = 3) -> set[bytes]:
    words = _WORD.findall(text.lower())
    if len(words) < k:
        return {" ".join(words).encode()} if words else {b""}
    return {" ".join(words[i:i + k]).encode() for i in range(len(words) - k + 1)}


class NearDuplicateIndex:
    """`check(key, text)`: the key of an earlier kept near-duplicate, or None (and `text` is
    kept). `threshold` is the Jaccard similarity of word 3-shingles above which two texts are
    duplicates (0.7 by default)."""

    def __init__(self, threshold: float = 0.7, num_perm: int = 128, shingle: int = 3, seed: int = 1):
        if not 0 < threshold <= 1:
            raise ValueError("the dedup threshold must be in (0, 1]")
        self.threshold, self.num_perm, self.k = threshold, num_perm, shingle
        self.lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._template = MinHash(num_perm=num_perm, seed=seed)
        self._kept: dict[str, MinHash] = {}

    def minhash(self, text: str) -> MinHash:
        m = self._template.copy()
        hashes = np.fromiter((zlib.crc32(s) for s in shingles(text, self.k)), dtype=np.uint64)
        # datasketch's update_batch takes bytes; feed pre-hashed values straight into the permutations
        a, b = m.permutations
        phv = np.bitwise_and((np.outer(hashes, a) + b) % _MERSENNE, _MAX_HASH)
        m.hashvalues = np.minimum(phv.min(axis=0), m.hashvalues)
        return m

    def check(self, key: str, text: str) -> str | None:
        m = self.minhash(text)
        best: tuple[float, str] | None = None
        for cand in self.lsh.query(m):
            sim = m.jaccard(self._kept[cand])
            if sim >= self.threshold and (best is None or (sim, cand) > best):
                best = (sim, cand)
        if best is not None:
            return best[1]
        self.lsh.insert(key, m)
        self._kept[key] = m
        return None

    def similarity(self, a: str, b: str) -> float:
        return self._kept[a].jaccard(self._kept[b])


_MERSENNE = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)


def dedup(items: Iterable[tuple[str, str]], *, threshold: float = 0.7, against: Iterable[tuple[str, str]] = (),
          num_perm: int = 128) -> dict[str, str | None]:
    """{key: None if kept, else the key it duplicates}, in order; `against` (earlier batches,
    an existing dataset) is indexed first and never removed itself."""
    index = NearDuplicateIndex(threshold, num_perm)
    for key, text in against:
        index.check(key, text)
    return {key: index.check(key, text) for key, text in items}
