"""The shopping cart: line items keyed by SKU, with quantity limits."""

from dataclasses import dataclass, field


class CartError(ValueError):
    """Raised when a cart operation would leave the cart invalid."""


@dataclass
class LineItem:
    sku: str
    quantity: int
    unit_price_cents: int

    def total_cents(self) -> int:
        return self.quantity * self.unit_price_cents


@dataclass
class Cart:
    max_items: int = 50
    items: dict[str, LineItem] = field(default_factory=dict)

    def add_item(self, sku: str, quantity: int, unit_price_cents: int) -> None:
        if quantity <= 0:
            raise CartError(f"quantity must be positive, got {quantity}")
        current = self.items.get(sku)
        new_quantity = quantity + (current.quantity if current else 0)
        if self.item_count() - (current.quantity if current else 0) + new_quantity > self.max_items:
            raise CartError(f"a cart holds at most {self.max_items} items")
        self.items[sku] = LineItem(sku, new_quantity, unit_price_cents)

    def remove_item(self, sku: str) -> None:
        if sku not in self.items:
            raise CartError(f"{sku} is not in the cart")
        del self.items[sku]

    def item_count(self) -> int:
        return sum(item.quantity for item in self.items.values())

    def subtotal_cents(self) -> int:
        return sum(item.total_cents() for item in self.items.values())
