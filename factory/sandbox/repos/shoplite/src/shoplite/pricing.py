"""Pure pricing rules: discounts and tax on integer cents."""

from datetime import date

from shoplite.cart import Cart

DISCOUNT_CODES = {
    "WELCOME10": (10, date(2030, 1, 1)),
    "SPRING25": (25, date(2026, 6, 1)),
}


def discount_percent(code: str, today: date) -> int:
    entry = DISCOUNT_CODES.get(code.strip().upper())
    if entry is None:
        return 0
    percent, expires = entry
    return percent if today < expires else 0


def apply_discount(amount_cents: int, percent: int) -> int:
    if not 0 <= percent <= 100:
        raise ValueError(f"discount must be between 0 and 100, got {percent}")
    return amount_cents - (amount_cents * percent) // 100


def tax_cents(amount_cents: int, rate_percent: int) -> int:
    return (amount_cents * rate_percent + 50) // 100


def cart_total_cents(cart: Cart, code: str, rate_percent: int, today: date) -> int:
    discounted = apply_discount(cart.subtotal_cents(), discount_percent(code, today))
    return discounted + tax_cents(discounted, rate_percent)
