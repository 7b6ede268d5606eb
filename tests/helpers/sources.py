"""Small source files in several languages, and a git runner, for the repository ingest tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

APACHE = "                                 Apache License\n                           Version 2.0, January 2004\n"

PY = '''"""Inventory helpers."""

from dataclasses import dataclass


@dataclass
class Item:
    name: str
    price: float
    quantity: int = 0

    def total(self) -> float:
        return self.price * self.quantity


def restock(items: list[Item], amount: int) -> list[Item]:
    """Add amount to every item's quantity."""
    out = []
    for item in items:
        out.append(Item(item.name, item.price, item.quantity + amount))
    return out


def cheapest(items: list[Item]) -> Item | None:
    if not items:
        return None
    return min(items, key=lambda i: i.price)
'''

GO = '''package inventory

import "fmt"

type Item struct {
	Name     string
	Price    float64
	Quantity int
}

func (i Item) Total() float64 {
	return i.Price * float64(i.Quantity)
}

func Describe(items []Item) string {
	out := ""
	for _, it := range items {
		out += fmt.Sprintf("%s x%d\\n", it.Name, it.Quantity)
	}
	return out
}
'''

RUBY = '''class Inventory
  def initialize(items)
    @items = items
  end

  def total
    @items.sum { |i| i.price * i.quantity }
  end

  def names
    @items.map(&:name).sort
  end
end
'''


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=T", "-c", "user.email=t@example.com", *args],
                   check=True, capture_output=True)


def commit_files(repo: Path, files: dict[str, str]) -> None:
    """Write ``files`` (path -> text) into a new git repository at ``repo`` and commit them."""
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "init")
