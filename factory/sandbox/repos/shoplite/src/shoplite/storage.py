"""SQLite storage for orders. Every query is parameterised."""

import sqlite3
from contextlib import closing

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY,
    customer_email TEXT NOT NULL,
    status TEXT NOT NULL,
    total_cents INTEGER NOT NULL
)
"""


class OrderStore:
    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path)
        self._conn.execute(SCHEMA)

    def insert_order(self, customer_email: str, status: str, total_cents: int) -> int:
        with self._conn:
            cur = self._conn.execute(
                "INSERT INTO orders (customer_email, status, total_cents) VALUES (?, ?, ?)",
                (customer_email, status, total_cents),
            )
        return int(cur.lastrowid)

    def find_by_status(self, status: str) -> list[tuple[int, str, int]]:
        with closing(self._conn.cursor()) as cur:
            cur.execute("SELECT id, customer_email, total_cents FROM orders WHERE status = ?", (status,))
            return cur.fetchall()

    def set_status(self, order_id: int, status: str) -> None:
        with self._conn:
            self._conn.execute("UPDATE orders SET status = ? WHERE id = ?", (status, order_id))
