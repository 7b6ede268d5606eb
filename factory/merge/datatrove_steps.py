"""The datatrove pipeline steps of the engine path (:mod:`factory.merge.distributed`).

Imported only when a merge runs on an engine: datatrove is an optional extra (``factory[scale]``).
The steps are module-level classes and functions so that the executors can pickle them into their
worker processes (LocalPipelineExecutor) or Ray workers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
from datatrove.pipeline.dedup.minhash import MinhashDedupSignature
from datatrove.pipeline.readers import JsonlReader
from datatrove.utils.word_tokenizers import WordTokenizer

from factory.merge.minhash import NearDuplicateIndex


def text_adapter(self: Any, data: dict, path: str, id_in_file: int | str) -> dict:
    """JsonlReader adapter for the text shards merge writes (``{"id": candidate, "text": ...}``).
    datatrove's reader drops a document whose text is empty, which would shift every later document
    index; such a record gets one NUL instead (its signature is that of no words, as in-process)."""
    return {"text": data["text"] or "\x00", "id": str(data["id"]), "metadata": {}}


class TextShardReader(JsonlReader):
    """The text shards as bytes: the stock reader opens them as text in the locale's encoding (which
    would change non-ASCII words on a machine whose locale is not UTF-8) and skips a line it cannot
    parse (which would shift every later document index); this one reads UTF-8 and fails instead."""

    def read_file(self, filepath: str) -> Any:
        with self.data_folder.open(filepath, "rb") as fh:
            for number, line in enumerate(fh):
                with self.track_time():
                    document = self.get_document_from_dict(orjson.loads(line), filepath, number)
                yield document


class _UnusedTokenizer(WordTokenizer):
    """The stock step loads a word tokenizer (spaCy for English) in its constructor; this one's
    shingles come from factory's own function instead, so nothing is tokenised here."""

    def __init__(self) -> None:
        super().__init__("factory")

    def word_tokenize(self, text: str) -> list[str]:
        return text.split()

    def sent_tokenize(self, text: str) -> list[str]:
        return [text]

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        return [(0, len(text))]


class FactoryMinhashSignature(MinhashDedupSignature):
    """Stage 1 with the in-process path's exact signature: the same word shingles and the same
    datasketch MinHash (``NearDuplicateIndex.values``), so both paths see the same candidates and
    the same estimated Jaccard. The first ``num_hashes`` values (bands x rows) are banded as
    datasketch's MinHashLSH bands them; every value of every document also goes, in document order,
    to ``full/RANK.sig`` (``num_perm`` uint32 a row) for the similarity check of the keep-first step."""

    def __init__(self, output_folder: str, config: Any, threshold: float, num_perm: int, shingle: int,
                 bands: int) -> None:
        super().__init__(output_folder, config=config, language=_UnusedTokenizer())
        self.threshold, self.num_perm, self.shingle, self.bands = threshold, num_perm, shingle, bands
        self._index: NearDuplicateIndex | None = None
        self._full: Any = None

    def get_shingles(self, text: str) -> np.ndarray:
        # the text itself goes through: NearDuplicateIndex.values shingles it (never empty)
        return np.array([text], dtype=object).reshape(-1, 1)

    def get_signature(self, shingles: np.ndarray) -> list[list[int]]:
        if self._index is None:
            self._index = NearDuplicateIndex(self.threshold, self.num_perm, self.shingle)
        values = self._index.values(str(shingles[0, 0]))
        self._full.write(values.tobytes())
        banded = values[: self.num_hashes].tolist()
        rows = self.num_hashes // self.bands
        return [banded[i:i + rows] for i in range(0, self.num_hashes, rows)]

    def run(self, data: Any, rank: int = 0, world_size: int = 1) -> Any:
        self._full = self.output_folder.open(f"full/{rank:05d}.sig", mode="wb")
        try:
            return super().run(data, rank, world_size)
        finally:
            self._full.close()
