from datetime import date

from shoplite.pricing import apply_discount, discount_percent, tax_cents


def test_discount_codes_are_case_insensitive():
    assert discount_percent("welcome10", date(2025, 5, 1)) == 10


def test_expired_codes_give_no_discount():
    assert discount_percent("SPRING25", date(2026, 6, 1)) == 0


def test_tax_rounds_half_up():
    assert tax_cents(250, 20) == 50
    assert apply_discount(1000, 25) == 750
