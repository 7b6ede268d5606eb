"""The ledger: one SQLite file (WAL) holding runs, batch jobs, the content-addressed request cache and
every usage event (calls, retries, re-asks) with its cost.

Schema changes are an append-only list of migrations, each applied once and recorded in
``schema_migrations`` (the habit of simonw/llm's ``migrations.py``). Each finished request is committed
on its own, so a ``kill -9`` loses at most the requests in flight: a rerun finds every completed one
in the cache and sends it again never. Nothing secret is stored: no headers, no keys.

One connection, usable from any thread, one call at a time: in a rollout run the engine makes its
calls on a thread of their own (a commit, and now and then a WAL checkpoint, then never holds the
event loop), elsewhere on the event loop.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson


def _script(db: sqlite3.Connection, sql: str) -> None:
    # Statement by statement: executescript() would commit the migration's transaction half-way.
    for statement in sql.split(";"):
        if statement.strip():
            db.execute(statement)


def _m001_initial(db: sqlite3.Connection) -> None:
    _script(db, 
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY, job TEXT NOT NULL, provider TEXT, model TEXT,
            started REAL, finished REAL, status TEXT,
            sent INTEGER DEFAULT 0, cached INTEGER DEFAULT 0, ok INTEGER DEFAULT 0, rejected INTEGER DEFAULT 0,
            input_tokens INTEGER DEFAULT 0, output_tokens INTEGER DEFAULT 0, cost REAL DEFAULT 0,
            errors TEXT DEFAULT '{}', message TEXT
        );
        CREATE TABLE requests (
            key TEXT PRIMARY KEY, provider TEXT, model TEXT, status TEXT NOT NULL,
            output TEXT, raw TEXT, reason TEXT,
            input_tokens INTEGER, output_tokens INTEGER, calls INTEGER, cost REAL,
            run_id INTEGER, created REAL
        );
        CREATE TABLE usage (
            id INTEGER PRIMARY KEY, run_id INTEGER, key TEXT, kind TEXT,
            input_tokens INTEGER, output_tokens INTEGER, cost REAL, created REAL
        );
        CREATE INDEX usage_run ON usage(run_id);
        """
    )


def _m002_batches(db: sqlite3.Connection) -> None:
    _script(db, 
        """
        CREATE TABLE batches (
            id TEXT PRIMARY KEY, provider TEXT, model TEXT, run_id INTEGER, job TEXT, status TEXT,
            keys TEXT, created REAL, updated REAL, detail TEXT
        );
        """
    )


def _m003_batch_items(db: sqlite3.Connection) -> None:
    # One row per request per batch job it was sent in: the rendered body (for resubmission) and,
    # once collected, the provider's answer or why there is none.
    _script(db,
        """
        CREATE TABLE batch_items (
            batch_id TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, state TEXT NOT NULL,
            result TEXT, error TEXT, updated REAL, PRIMARY KEY (batch_id, key)
        );
        CREATE INDEX batch_items_key ON batch_items(key);
        """
    )


def _m004_tool_results(db: sqlite3.Connection) -> None:
    # A rollout's tool results after each answered turn, keyed by that turn's request: a rerun sends
    # the model exactly the results it saw (a test run's timing, a traceback's path), so every
    # completed turn stays a cache hit.
    _script(db, "CREATE TABLE tool_results (key TEXT PRIMARY KEY, results TEXT NOT NULL, created REAL)")


# Append only: never edit or reorder a released migration.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_m001_initial, _m002_batches, _m003_batch_items,
                                                          _m004_tool_results]


@dataclass
class CachedResponse:
    key: str
    status: str  # ok | rejected
    output: Any
    raw: str
    reason: str
    input_tokens: int
    output_tokens: int
    cost: float


def _serialized(method: Callable[..., Any]) -> Callable[..., Any]:
    """One call at a time on the connection: a transaction (BEGIN ... COMMIT) is never interleaved."""
    @functools.wraps(method)
    def call(self: Ledger, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)
    return call


class Ledger:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable against a killed process (not against power loss), at a fraction of the cost.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.migrate()

    @_serialized
    def migrate(self) -> list[str]:
        db = self.db
        db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied REAL)")
        done = {r[0] for r in db.execute("SELECT version FROM schema_migrations")}
        applied = []
        for version, migration in enumerate(MIGRATIONS, 1):
            if version in done:
                continue
            db.execute("BEGIN IMMEDIATE")
            try:
                migration(db)
                db.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", (version, migration.__name__, time.time()))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            applied.append(migration.__name__)
        return applied

    # -- runs ------------------------------------------------------------------------------------
    @_serialized
    def start_run(self, job: str, provider: str, model: str) -> int:
        cur = self.db.execute(
            "INSERT INTO runs (job, provider, model, started, status) VALUES (?, ?, ?, ?, 'running')",
            (job, provider, model, time.time()),
        )
        return int(cur.lastrowid)

    @_serialized
    def finish_run(self, run_id: int, status: str, stats: dict[str, Any], message: str = "") -> None:
        self.db.execute(
            "UPDATE runs SET finished=?, status=?, sent=?, cached=?, ok=?, rejected=?, input_tokens=?,"
            " output_tokens=?, cost=?, errors=?, message=? WHERE id=?",
            (time.time(), status, stats["sent"], stats["cached"], stats["ok"], stats["rejected"],
             stats["input_tokens"], stats["output_tokens"], stats["cost"],
             orjson.dumps(stats.get("errors", {})).decode(), message, run_id),
        )

    @_serialized
    def runs(self, job: str | None = None) -> list[dict[str, Any]]:
        cur = self.db.execute(
            "SELECT * FROM runs" + (" WHERE job=?" if job else "") + " ORDER BY id", (job,) if job else ()
        )
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, row)) for row in cur]

    # -- request cache ---------------------------------------------------------------------------
    @_serialized
    def get(self, key: str) -> CachedResponse | None:
        row = self.db.execute(
            "SELECT key, status, output, raw, reason, input_tokens, output_tokens, cost FROM requests WHERE key=?",
            (key,),
        ).fetchone()
        if row is None:
            return None
        return CachedResponse(row[0], row[1], orjson.loads(row[2]) if row[2] else None, row[3] or "",
                              row[4] or "", row[5] or 0, row[6] or 0, row[7] or 0.0)

    @_serialized
    def put(self, key: str, provider: str, model: str, status: str, output: Any, raw: str, reason: str,
            input_tokens: int, output_tokens: int, calls: int, cost: float, run_id: int,
            kind: str | None = None) -> None:
        now = time.time()
        self.db.execute("BEGIN")
        self.db.execute(
            "INSERT OR REPLACE INTO requests VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (key, provider, model, status, orjson.dumps(output).decode() if output is not None else None, raw,
             reason, input_tokens, output_tokens, calls, cost, run_id, now),
        )
        self.db.execute(
            "INSERT INTO usage (run_id, key, kind, input_tokens, output_tokens, cost, created) VALUES (?,?,?,?,?,?,?)",
            (run_id, key, kind or ("call" if calls <= 1 else f"call+{calls - 1} re-ask"), input_tokens, output_tokens,
             cost, now),
        )
        self.db.execute("COMMIT")

    @_serialized
    def record_usage(self, run_id: int, key: str, kind: str, input_tokens: int = 0, output_tokens: int = 0,
                     cost: float = 0.0) -> None:
        self.db.execute(
            "INSERT INTO usage (run_id, key, kind, input_tokens, output_tokens, cost, created) VALUES (?,?,?,?,?,?,?)",
            (run_id, key, kind, input_tokens, output_tokens, cost, time.time()),
        )

    @_serialized
    def tool_results(self, key: str) -> list[Any] | None:
        row = self.db.execute("SELECT results FROM tool_results WHERE key=?", (key,)).fetchone()
        return orjson.loads(row[0]) if row else None

    @_serialized
    def put_tool_results(self, key: str, results: list[Any]) -> None:
        self.db.execute("INSERT OR REPLACE INTO tool_results VALUES (?,?,?)",
                        (key, orjson.dumps(results).decode(), time.time()))

    @_serialized
    def completed_keys(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT key FROM requests")}

    @_serialized
    def totals(self) -> dict[str, Any]:
        row = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(input_tokens),0), COALESCE(SUM(output_tokens),0), COALESCE(SUM(cost),0)"
            " FROM usage"
        ).fetchone()
        return {"events": row[0], "input_tokens": row[1], "output_tokens": row[2], "cost": row[3]}

    # -- batch jobs ------------------------------------------------------------------------------
    @_serialized
    def save_batch(self, batch_id: str, provider: str, model: str, run_id: int, job: str, status: str,
                   keys: list[str], detail: dict[str, Any] | None = None) -> None:
        now = time.time()
        self.db.execute(
            "INSERT OR REPLACE INTO batches VALUES (?,?,?,?,?,?,?,?,?,?)",
            (batch_id, provider, model, run_id, job, status, orjson.dumps(keys).decode(), now, now,
             orjson.dumps(detail or {}).decode()),
        )

    @_serialized
    def batches(self) -> list[dict[str, Any]]:
        cur = self.db.execute("SELECT * FROM batches ORDER BY created, rowid")
        cols = [c[0] for c in cur.description]
        return [{**dict(zip(cols, row)), "keys": orjson.loads(row[6] or "[]"), "detail": orjson.loads(row[9] or "{}")}
                for row in cur]

    @_serialized
    def update_batch(self, batch_id: str, status: str, detail: dict[str, Any]) -> None:
        self.db.execute("UPDATE batches SET status=?, detail=?, updated=? WHERE id=?",
                        (status, orjson.dumps(detail).decode(), time.time(), batch_id))

    @_serialized
    def add_batch(self, batch_id: str, provider: str, model: str, run_id: int, job: str, status: str,
                  items: list[tuple[str, Any]], detail: dict[str, Any]) -> None:
        """A submitted job and its request bodies, in one transaction."""
        now = time.time()
        self.db.execute("BEGIN")
        self.save_batch(batch_id, provider, model, run_id, job, status, [k for k, _ in items], detail)
        self.db.executemany(
            "INSERT OR REPLACE INTO batch_items VALUES (?,?,?,?,?,?,?)",
            [(batch_id, key, orjson.dumps(body).decode(), "submitted", None, None, now) for key, body in items])
        self.db.execute("COMMIT")

    @_serialized
    def set_batch_item(self, batch_id: str, key: str, state: str, result: Any = None, error: str = "") -> None:
        self.db.execute(
            "UPDATE batch_items SET state=?, result=?, error=?, updated=? WHERE batch_id=? AND key=?",
            (state, orjson.dumps(result).decode() if result is not None else None, error or None, time.time(),
             batch_id, key))

    @_serialized
    def batch_items(self, key: str) -> list[dict[str, Any]]:
        """Every submission of ``key``, oldest first."""
        cur = self.db.execute("SELECT batch_id, key, body, state, result, error FROM batch_items WHERE key=? "
                              "ORDER BY rowid", (key,))
        return [{"batch_id": r[0], "key": r[1], "body": orjson.loads(r[2]), "state": r[3],
                 "result": orjson.loads(r[4]) if r[4] else None, "error": r[5] or ""} for r in cur]

    @_serialized
    def items_of(self, batch_id: str) -> list[dict[str, Any]]:
        cur = self.db.execute("SELECT key, body, state, error FROM batch_items WHERE batch_id=? ORDER BY rowid",
                              (batch_id,))
        return [{"key": r[0], "body": orjson.loads(r[1]), "state": r[2], "error": r[3] or ""} for r in cur]

    @_serialized
    def close(self) -> None:
        self.db.close()
