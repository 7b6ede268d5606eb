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
    known = list(map(_cache.get, words))  # in C: most words are known after the first records
    if None in known:
        for i, value in enumerate(known):
            if value is None:
                known[i] = _cache.setdefault(words[i], zlib.crc32(words[i].encode()) | 1)
    hashes = np.array(known, dtype=np.uint64)
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

        self.threshold, self.num_perm, self.shingle = threshold, num_perm, shingle
        self.lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._sigs: dict[int, tuple[int, Any]] = {}  # key -> (order added, signature values)
        self._template = MinHash(num_perm=num_perm, seed=1)
        # shingles arrive already hashed (shingle_hashes): the hash function only passes them through
        self._minhash = MinHash(num_perm=num_perm, seed=1, hashfunc=int, permutations=self._template.permutations,
                                scheme=self._template.scheme)

    def values(self, text: str) -> Any:
        """The MinHash signature of ``text``'s shingles, uint32 values (datasketch's affine32 scheme).
        One MinHash is reset and updated by datasketch's own ``update_batch`` for every text (the
        engine's signature step makes a million of them)."""
        import numpy as np

        self._minhash.hashvalues = self._template.hashvalues.copy()
        self._minhash.update_batch(shingle_hashes(text, self.shingle))
        return self._minhash.hashvalues.astype(np.uint32, copy=False)

    def find_or_add(self, key: int, text: str) -> int | None:
        """The key of the earliest-added kept near-duplicate of ``text``, or None after adding ``text``
        under ``key``. (The earliest, so that the engine path, which walks candidates in input order,
        names the same kept record.)"""
        import numpy as np

        values = self.values(text)  # a new array each time: kept as the record's signature
        for other in sorted(self.lsh.query(self._minhash), key=lambda k: self._sigs[k][0]):
            if np.count_nonzero(values == self._sigs[other][1]) / self.num_perm >= self.threshold:
                return other
        self.lsh.insert(key, self._minhash, check_duplication=False)  # LSH keeps the bands, not the object
        self._sigs[key] = (len(self._sigs), values)
        return None

    def __len__(self) -> int:
        return len(self._sigs)
