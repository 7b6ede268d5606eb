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
