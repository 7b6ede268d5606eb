"""MinHash near-duplicate detection, shared by merge's in-process path and its datatrove signature
step (:mod:`factory.merge.datatrove_steps`), so that both compute the very same signatures."""

from __future__ import annotations

import re
import zlib
from typing import Any

_WORD = re.compile(r"\w+", re.UNICODE)


def shingle_hashes(text: str, n: int, _cache: dict[str, int] = {}) -> list[int]:  # noqa: B006 - a memo
    """32-bit hashes of the distinct word ``n``-grams of ``text``: each word is hashed once (crc32,
    deterministic across runs, unlike ``hash``) and n-grams are combined in numpy."""
    import numpy as np

    words = _WORD.findall(text)
    if len(_cache) > 1_000_000:
        _cache.clear()
    hashes = np.fromiter((_cache.get(w) or _cache.setdefault(w, zlib.crc32(w.encode()) | 1) for w in words),
                         dtype=np.uint64, count=len(words))
    if len(hashes) <= n:
        return [int(zlib.crc32(hashes.tobytes()))]
    mixed = np.zeros(len(hashes) - n + 1, dtype=np.uint64)
    for k in range(n):  # polynomial rolling combination mod 2**32
        mixed = (mixed * np.uint64(1_000_003) + hashes[k:len(hashes) - n + 1 + k]) & np.uint64(0xFFFFFFFF)
    return np.unique(mixed).tolist()


class NearDuplicateIndex:
    """MinHash LSH over word shingles; a candidate counts only if its estimated Jaccard similarity
    (from the stored signatures) reaches the threshold, so LSH false positives are not dropped."""

    def __init__(self, threshold: float, num_perm: int = 128, shingle: int = 3) -> None:
        from datasketch import MinHash, MinHashLSH

        self._minhash = MinHash
        self.threshold, self.num_perm, self.shingle = threshold, num_perm, shingle
        self.lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._sigs: dict[int, tuple[int, Any]] = {}  # key -> (order added, signature values)
        self._template = MinHash(num_perm=num_perm, seed=1)

    def signature(self, text: str) -> Any:
        # shingles arrive already hashed (shingle_hashes): the hash function only passes them through
        mh = self._minhash(num_perm=self.num_perm, seed=1, hashfunc=int,
                           permutations=self._template.permutations, scheme=self._template.scheme)
        mh.update_batch(shingle_hashes(text, self.shingle))
        return mh

    def find_or_add(self, key: int, text: str) -> int | None:
        """The key of the earliest-added kept near-duplicate of ``text``, or None after adding ``text``
        under ``key``. (The earliest, so that the engine path, which walks candidates in input order,
        names the same kept record.)"""
        import numpy as np

        sig = self.signature(text)
        values = sig.hashvalues.astype(np.uint32)  # datasketch 2 "affine32": already 32-bit
        for other in sorted(self.lsh.query(sig), key=lambda k: self._sigs[k][0]):
            if np.count_nonzero(values == self._sigs[other][1]) / self.num_perm >= self.threshold:
                return other
        self.lsh.insert(key, sig, check_duplication=False)
        self._sigs[key] = (len(self._sigs), values)
        return None

    def __len__(self) -> int:
        return len(self._sigs)
