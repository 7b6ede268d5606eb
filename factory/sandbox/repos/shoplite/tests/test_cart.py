import pytest

from shoplite.cart import Cart, CartError


def test_adding_the_same_sku_twice_merges_quantities():
    cart = Cart()
    cart.add_item("TEA-01", 2, 450)
    cart.add_item("TEA-01", 1, 450)
    assert cart.items["TEA-01"].quantity == 3
    assert cart.subtotal_cents() == 1350


def test_a_cart_refuses_more_than_its_limit():
    cart = Cart(max_items=3)
    cart.add_item("MUG-02", 3, 900)
    with pytest.raises(CartError):
        cart.add_item("MUG-02", 1, 900)
