"""The viewer's index: a dataset directory's records, drops and rejects in one SQLite file.

``build_index(DATA)`` streams every category file once into ``DATA/.view/dataset.db`` (written to a
temporary file and renamed into place when finished, so a running viewer never sees half an index):

- ``records``: one row per record line, with the columns people filter on (category, subcategory,
  label, defect kind, provider, model, split, merge drop reason, review decision, score and token
  ranges, turns, calls); ``bodies`` holds the record itself as JSON (apart, so that filtering and
  counting read small rows); ``records_fts`` is an FTS5 index of its text (messages, tool calls and
  tool results), searched with datasette's ``_search=`` (``/?q=`` too);
- ``dropped``: what merge left out and why (``merged/dropped.jsonl``), a duplicate with the id of the
  record it duplicates;
- ``rejections``: generation rejects counted per category and reason (``manifest.json``), ingest
  rejections and skipped units per reason (each ``OUT.jsonl.report.json`` under DATA), and every
  line of the ``*.rejects.jsonl`` files that LLM generation, ``check`` and enhancement rounds write;
- ``pairs``: records to read side by side -- an enhanced record beside its original with the scores
  per dimension before and after (every ``pairs.jsonl`` an enhancement run wrote under DATA), and DPO
  chosen beside rejected (``export/dpo/``); a tool_neg record's defective call sits beside its
  correct call on the record's own page;
- ``sources``: the files indexed with their size and modification time: the index is rebuilt when one
  of them changes (``index_is_fresh``).

Token counts are the Qwen2.5 tokenizer's over the record's message text (tool calls included) when
the ``quality`` extra is installed; otherwise an estimate (characters / 4), and ``tokens_counted_by``
in ``meta`` says which.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from factory.errors import FactoryError

INDEX_NAME = "dataset.db"
SCHEMA_VERSION = 2
TOKEN_BINS = (256, 512, 1024, 2048, 4096, 8192)
BATCH = 2000


def index_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / ".view" / INDEX_NAME


@dataclass
class IndexResult:
    path: Path
    records: int
    dropped: int
    rejections: int
    unreadable: int
    seconds: float
    tokens_counted_by: str


def _category_files(data_dir: Path) -> list[Path]:
    from factory.merge.dataset import category_files

    return [p for p in category_files(data_dir) if not p.name.endswith(".rejects.jsonl")]


def _ingest_reports(data_dir: Path) -> list[Path]:
    return sorted(p for p in data_dir.rglob("*.jsonl.report.json") if ".view" not in p.parts)


def _pair_files(data_dir: Path) -> list[Path]:
    enhanced = [p for p in data_dir.rglob("pairs.jsonl") if ".view" not in p.parts]
    dpo = sorted((data_dir / "export" / "dpo").glob("*.jsonl")) if (data_dir / "export" / "dpo").is_dir() else []
    return sorted(enhanced) + dpo


def _reject_files(data_dir: Path) -> list[Path]:
    found = [p for p in data_dir.rglob("*rejects.jsonl") if ".view" not in p.parts]
    return sorted(found)


def source_files(data_dir: str | Path) -> list[Path]:
    """Every file the index is built from."""
    from factory.view.review import decisions_path

    data_dir = Path(data_dir)
    extra = [data_dir / "manifest.json", data_dir / "merged" / "dropped.jsonl", data_dir / "merged" / "train.jsonl",
             data_dir / "merged" / "eval.jsonl", decisions_path(data_dir)]
    return [*_category_files(data_dir), *_reject_files(data_dir), *_pair_files(data_dir), *_ingest_reports(data_dir),
            *[p for p in extra if p.exists()]]


def _stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def index_is_fresh(data_dir: str | Path) -> bool:
    path = index_path(data_dir)
    if not path.exists():
        return False
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            version = db.execute("select value from meta where key = 'schema'").fetchone()
            rows = db.execute("select path, size, mtime_ns from sources").fetchall()
    except sqlite3.Error:
        return False
    if not version or version[0] != str(SCHEMA_VERSION):
        return False
    recorded = {p: (s, m) for p, s, m in rows}
    now = {str(p): _stamp(p) for p in source_files(data_dir)}
    return recorded == now


def _bin(value: float | None, edges: tuple[int, ...]) -> str:
    if value is None:
        return ""
    lo = 0
    for hi in edges:
        if value < hi:
            return f"{lo}-{hi}"
        lo = hi
    return f"{lo}+"


def _score_range(score: float | None) -> str:
    if score is None:
        return "unscored"
    lo = min(int(score), 9)
    return f"{lo}-{lo + 1}"


def record_text(record: dict[str, Any]) -> str:
    """What full-text search sees: every message's text, tool calls as name and arguments, results."""
    parts: list[str] = []
    messages = record.get("messages") if isinstance(record.get("messages"), list) else []
    for m in messages:
        if not isinstance(m, dict):
            continue
        if isinstance(m.get("content"), str):
            parts.append(m["content"])
        for c in m.get("tool_calls") if isinstance(m.get("tool_calls"), list) else []:
            fn = c.get("function") if isinstance(c, dict) else None
            if isinstance(fn, dict):
                parts.append(f"{_cell(fn.get('name')) or ''} {orjson.dumps(fn.get('arguments'), default=str).decode()}")
    return "\n".join(parts)


def _overall_score(record: dict[str, Any]) -> float | None:
    scores = record.get("scores")
    if not isinstance(scores, dict) or not scores:
        return None
    if isinstance(scores.get("overall"), (int, float)):
        return float(scores["overall"])
    values = [v for v in scores.values() if isinstance(v, (int, float))]
    return round(sum(values) / len(values), 2) if values else None


class _Counter:
    """Token counts: the Qwen2.5 tokenizer when installed, else characters / 4."""

    def __init__(self, use_tokenizer: bool) -> None:
        self.backend = None
        self.name = "estimate (characters / 4)"
        if use_tokenizer:
            try:
                from factory.quality.tokens import load_tokenizer

                self.backend = load_tokenizer("qwen2.5").backend
                self.name = "qwen2.5 (message text)"
            except Exception:  # noqa: BLE001 - no quality extra, no cached tokenizer: the estimate stands
                self.backend = None

    def count(self, texts: list[str]) -> list[int]:
        if self.backend is None:
            return [(len(t) + 3) // 4 for t in texts]
        return [len(e.ids) for e in self.backend.encode_batch(texts, add_special_tokens=False)]


SCHEMA = """
create table meta (key text primary key, value text);
create table sources (path text primary key, size integer, mtime_ns integer);
create table records (
  n integer primary key, id text, category text, subcategory text, label text, defect text,
  provider text, model text, spec_hash text, seed integer, split text, merge text, review text,
  score real, score_range text, tokens integer, tokens_range text, turns integer, calls integer,
  tools integer, prompt text, file text, line integer
);
create table bodies (n integer primary key, record text);
create table dropped (n integer primary key, file text, line integer, id text, category text, reason text,
  kept_id text, record_n integer, kept_n integer);
create table rejections (n integer primary key, stage text, category text, reason text, count integer,
  file text, line integer, detail text);
create table pairs (n integer primary key, kind text, category text, left_title text, right_title text,
  left_id text, right_id text, overall_before real, overall_after real, change text, file text, line integer);
create table pair_bodies (n integer primary key, left text, right text);
create table reviews (id text primary key, decision text, label text, note text, at text);
create virtual table records_fts using fts5(text, content='', tokenize='unicode61 remove_diacritics 2');
"""

INDEXES = """
create index records_id on records(id);
create index records_category on records(category, subcategory);
create index records_label on records(label);
create index records_defect on records(defect);
create index records_split on records(split);
create index records_merge on records(merge);
create index records_review on records(review);
create index records_provider on records(provider, model);
create index records_tokens on records(tokens_range);
create index records_score on records(score_range);
create index dropped_reason on dropped(reason);
create index rejections_stage on rejections(stage, category);
create index pairs_kind on pairs(kind, category);
"""


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if raw.strip():
                yield lineno, raw


def _ids_of(path: Path) -> set[str]:
    ids: set[str] = set()
    if path.exists():
        for _, raw in _lines(path):
            try:
                rid = orjson.loads(raw).get("id")
            except (orjson.JSONDecodeError, AttributeError):
                continue
            if rid:
                ids.add(rid)
    return ids


def _cell(value: Any) -> Any:
    """A value SQLite takes as a filter column: text and numbers as they are, anything else as JSON."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    return orjson.dumps(value, default=str).decode()


def _record_row(rec: dict[str, Any], n: int, path: Path, lineno: int, raw: bytes, drops: dict, train_ids: set,
                eval_ids: set, merged: bool, reviews: dict) -> tuple[tuple[Any, ...], str]:
    rid = str(_cell(rec.get("id")) or "")
    meta = rec.get("meta") if isinstance(rec.get("meta"), dict) else {}
    messages = rec.get("messages") if isinstance(rec.get("messages"), list) else []
    msgs = [m for m in messages if isinstance(m, dict)]
    drop = drops.get((path.name, lineno))
    if drop is not None and drop.get("id") not in (None, rid):  # the file changed since the merge
        drop = None
    if drop is not None:
        split = "dropped"
    elif rid in train_ids:
        split = "train"
    elif rid in eval_ids:
        split = "eval"
    else:
        split = "not merged" if merged else "merge not run"
    review = reviews.get(rid)
    label = rec.get("label")
    defect = meta.get("defect") if isinstance(meta.get("defect"), dict) else {}
    score = _overall_score(rec)
    prompt = next((m.get("content") for m in msgs if m.get("role") == "user" and isinstance(m.get("content"), str)),
                  "")
    calls = sum(len(m["tool_calls"]) for m in msgs if isinstance(m.get("tool_calls"), list))
    tools = len(rec["tools"]) if isinstance(rec.get("tools"), list) else 0
    seed = meta.get("seed") if isinstance(meta.get("seed"), int) else _cell(meta.get("seed"))
    row = (
        n, rid, _cell(rec.get("category")) or path.stem, _cell(rec.get("subcategory")) or "",
        "none" if label is None else str(bool(label)).lower(), _cell(defect.get("kind")) or "",
        _cell(meta.get("provider")) or "", _cell(meta.get("model")) or "", _cell(meta.get("spec_hash")) or "",
        seed, split, str((drop or {}).get("reason", "")).split(":")[0],
        review["decision"] if review else "", score, _score_range(score),
        sum(1 for m in msgs if m.get("role") == "user"), calls, tools,
        " ".join(prompt.split())[:240], str(path), lineno, raw.decode("utf-8").rstrip("\n"),
    )
    return row, record_text(rec)


def build_index(data_dir: str | Path, *, count_tokens: bool = True, progress: Any = None) -> IndexResult:
    """Index ``data_dir`` into ``data_dir/.view/dataset.db`` (replaced only when finished)."""
    import time

    from factory.store.manifest import load_manifest
    from factory.view.review import load_decisions

    start = time.perf_counter()
    data_dir = Path(data_dir)
    files = _category_files(data_dir)
    if not files:
        raise FactoryError(f"{data_dir}: no category files (*.jsonl) to show; run `factory run --data {data_dir}` "
                           "or `factory generate` first")
    sources = source_files(data_dir)
    stamps = {str(p): _stamp(p) for p in sources}
    reviews = load_decisions(data_dir)
    train_ids, eval_ids = _ids_of(data_dir / "merged" / "train.jsonl"), _ids_of(data_dir / "merged" / "eval.jsonl")
    merged = bool(train_ids or eval_ids)
    drops: dict[tuple[str, int], dict[str, Any]] = {}
    dropped_path = data_dir / "merged" / "dropped.jsonl"
    if dropped_path.exists():
        for _, raw in _lines(dropped_path):
            try:
                d = orjson.loads(raw)
                drops[(Path(d["file"]).name, int(d["line"]))] = d  # category files sit side by side
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                continue
    counter = _Counter(count_tokens)

    final = index_path(data_dir)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f"{final.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    unreadable = n_records = 0
    try:
        db.executescript("pragma journal_mode = off; pragma synchronous = off;" + SCHEMA)
        rows: list[tuple[Any, ...]] = []
        texts: list[str] = []
        n = 0
        id_to_n: dict[str, int] = {}
        n_of_line: dict[tuple[str, int], int] = {}

        def flush() -> None:
            if not rows:
                return
            counts = counter.count(texts)
            db.executemany("insert into records values (" + ",".join("?" * 23) + ")",
                           [(*r[:15], c, _bin(c, TOKEN_BINS), *r[15:-1]) for r, c in zip(rows, counts)])
            db.executemany("insert into bodies values (?, ?)", [(r[0], r[-1]) for r in rows])
            db.executemany("insert into records_fts(rowid, text) values (?, ?)",
                           [(r[0], t) for r, t in zip(rows, texts)])
            rows.clear()
            texts.clear()

        for path in files:
            for lineno, raw in _lines(path):
                try:
                    rec = orjson.loads(raw)
                    if not isinstance(rec, dict):
                        raise ValueError
                except (orjson.JSONDecodeError, ValueError):
                    unreadable += 1
                    db.execute("insert into rejections(stage, category, reason, count, file, line, detail) "
                               "values ('index', ?, 'not a JSON object', 1, ?, ?, ?)",
                               (path.stem, str(path), lineno, raw[:300].decode("utf-8", "replace")))
                    continue
                try:
                    row, text = _record_row(rec, n + 1, path, lineno, raw, drops, train_ids, eval_ids, merged,
                                            reviews)
                except Exception as exc:  # noqa: BLE001 - a record of an unexpected shape is listed, not fatal
                    unreadable += 1
                    db.execute("insert into rejections(stage, category, reason, count, file, line, detail) "
                               "values ('index', ?, ?, 1, ?, ?, ?)",
                               (path.stem, f"record of an unexpected shape: {type(exc).__name__}: {exc}"[:300],
                                str(path), lineno, raw[:300].decode("utf-8", "replace")))
                    continue
                n += 1
                id_to_n.setdefault(row[1], n)
                if row[10] == "dropped":
                    n_of_line[(path.name, lineno)] = n
                rows.append(row)
                texts.append(text)
                if len(rows) >= BATCH:
                    flush()
                    if progress is not None:
                        progress(BATCH)
            n_records = n
        flush()
        if n == 0:
            first = db.execute("select file, line, reason from rejections where stage = 'index' limit 1").fetchone()
            where = f"; first: {first[0]}:{first[1]}: {first[2]}" if first else ""
            raise FactoryError(f"{data_dir}: no record could be read ({unreadable} lines were not records{where}); "
                               "nothing was indexed")

        db.executemany("insert into dropped(file, line, id, category, reason, kept_id, record_n, kept_n) "
                       "values (?, ?, ?, ?, ?, ?, ?, ?)",
                       [(d.get("file"), d.get("line"), d.get("id"), d.get("category"), d.get("reason"),
                         d.get("kept_id"), n_of_line.get((Path(d.get("file") or "").name, d.get("line"))),
                         id_to_n.get(d.get("kept_id") or "")) for d in drops.values()])
        for name, entry in (load_manifest(data_dir).get("files") or {}).items():
            for reason, count in (entry.get("rejected") or {}).items():
                db.execute("insert into rejections(stage, category, reason, count, file) values "
                           "('generate', ?, ?, ?, ?)", (entry.get("category") or name, reason, count, name))
        for path in _ingest_reports(data_dir):  # what an ingestor left out, counted per reason
            try:
                rep = orjson.loads(path.read_bytes())
            except orjson.JSONDecodeError:
                continue
            if not isinstance(rep, dict) or "ingestor" not in rep:
                continue
            out = Path(str(rep.get("output") or path.name[:-len(".report.json")])).name
            for kind, counts in (("rejected", rep.get("rejected")), ("skipped", rep.get("units_skipped"))):
                for reason, count in (counts or {}).items() if isinstance(counts, dict) else []:
                    db.execute("insert into rejections(stage, category, reason, count, file) values (?, ?, ?, ?, ?)",
                               (f"ingest ({rep['ingestor']}, {kind})", out.split(".")[0], str(reason), count,
                                str(path)))
        n_rejects = 0
        for path in _reject_files(data_dir):
            stage = "enhance" if "enhance" in str(path.relative_to(data_dir)) else (
                "check" if "check" in path.name else "generate (LLM)")
            for lineno, raw in _lines(path):
                try:
                    obj = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    obj = {}
                obj = obj if isinstance(obj, dict) else {}
                reason = str(obj.get("reason") or obj.get("error") or obj.get("errors") or "no reason given")
                db.execute("insert into rejections(stage, category, reason, count, file, line, detail) "
                           "values (?, ?, ?, 1, ?, ?, ?)",
                           (stage, obj.get("category") or path.name.split(".")[0], reason[:500], str(path), lineno,
                            raw[:4000].decode("utf-8", "replace")))
                n_rejects += 1
        _index_pairs(db, data_dir)
        for rid, dec in reviews.items():
            db.execute("insert into reviews values (?, ?, ?, ?, ?)",
                       (rid, dec["decision"], None if dec["label"] is None else str(dec["label"]).lower(),
                        dec["note"], dec["at"]))
        db.executemany("insert into sources values (?, ?, ?)", [(p, s, m) for p, (s, m) in stamps.items()])
        seconds = time.perf_counter() - start
        db.executemany("insert into meta values (?, ?)", [
            ("schema", str(SCHEMA_VERSION)), ("data_dir", str(data_dir.resolve())),
            ("tokens_counted_by", counter.name), ("records", str(n_records)), ("seconds", f"{seconds:.1f}")])
        db.executescript(INDEXES + "analyze;")
        n_dropped = len(drops)
        n_rejections = db.execute("select count(*) from rejections").fetchone()[0]
        db.commit()
    except BaseException:
        db.close()
        tmp.unlink(missing_ok=True)
        raise
    db.close()
    os.replace(tmp, final)
    return IndexResult(final, n_records, n_dropped, n_rejections, unreadable, time.perf_counter() - start,
                       counter.name)


def _score_change(before: dict[str, Any], after: dict[str, Any]) -> str:
    dims = [k for k in after if isinstance(after.get(k), (int, float))]
    return ", ".join(f"{k} {before.get(k, '-')} -> {after[k]}" for k in dims)


def _index_pairs(db: sqlite3.Connection, data_dir: Path) -> None:
    rows, bodies = [], []
    for path in _pair_files(data_dir):
        dpo = path.parent.name == "dpo" and path.parent.parent.name == "export"
        for lineno, raw in _lines(path):
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError:
                continue
            if not isinstance(obj, dict):
                continue
            if dpo:
                prompt = obj.get("prompt") or []
                left = {"messages": [*prompt, *(obj.get("rejected") or [])], "tools": obj.get("tools") or []}
                right = {"messages": [*prompt, *(obj.get("chosen") or [])], "tools": obj.get("tools") or []}
                row = ("dpo", "", "rejected", "chosen", None, None, None, None, "")
            else:
                left, right = obj.get("original") or {}, obj.get("enhanced") or {}
                if not isinstance(left, dict) or not isinstance(right, dict):
                    continue
                sb, sa = left.get("scores") or {}, right.get("scores") or {}
                row = ("enhanced", right.get("category") or left.get("category") or "", "original", "enhanced",
                       left.get("id"), right.get("id"), _overall_score(left), _overall_score(right),
                       _score_change(sb, sa))
            n = len(rows) + 1
            rows.append((n, *row, str(path), lineno))
            bodies.append((n, orjson.dumps(left).decode(), orjson.dumps(right).decode()))
    db.executemany("insert into pairs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.executemany("insert into pair_bodies values (?, ?, ?)", bodies)


def ensure_index(data_dir: str | Path, *, rebuild: bool = False, count_tokens: bool = True,
                 progress: Any = None) -> IndexResult | None:
    """Build the index unless it is up to date with its sources (None then)."""
    if not rebuild and index_is_fresh(data_dir):
        return None
    return build_index(data_dir, count_tokens=count_tokens, progress=progress)
