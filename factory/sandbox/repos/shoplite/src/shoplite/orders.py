"""The order lifecycle: draft -> placed -> paid -> shipped, or cancelled before shipping."""

from dataclasses import dataclass
from datetime import date

from shoplite.cart import Cart
from shoplite.inventory import Inventory
from shoplite.pricing import cart_total_cents
from shoplite.storage import OrderStore

TRANSITIONS = {
    "placed": {"paid", "cancelled"},
    "paid": {"shipped", "cancelled"},
    "shipped": set(),
    "cancelled": set(),
}


class InvalidTransition(Exception):
    pass


@dataclass
class OrderService:
    store: OrderStore
    inventory: Inventory
    tax_rate_percent: int

    def place_order(self, email: str, cart: Cart, code: str, today: date) -> int:
        for item in cart.items.values():
            self.inventory.reserve(item.sku, item.quantity)
        total = cart_total_cents(cart, code, self.tax_rate_percent, today)
        return self.store.insert_order(email, "placed", total)

    def transition(self, order_id: int, current: str, new: str) -> None:
        if new not in TRANSITIONS.get(current, set()):
            raise InvalidTransition(f"order {order_id}: cannot go from {current} to {new}")
        self.store.set_status(order_id, new)
