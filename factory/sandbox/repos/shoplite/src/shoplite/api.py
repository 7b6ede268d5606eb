"""HTTP handlers: parse and validate input, call the service layer, shape the response."""

from datetime import date

from shoplite.auth import bearer_token
from shoplite.cart import Cart, CartError
from shoplite.inventory import OutOfStock
from shoplite.orders import OrderService


def parse_quantity(raw: object) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise TypeError("quantity must be an integer")
    if not 1 <= raw <= 99:
        raise ValueError("quantity must be between 1 and 99")
    return raw


def handle_checkout(service: OrderService, headers: dict[str, str], body: dict) -> tuple[int, dict]:
    if bearer_token(headers.get("Authorization")) is None:
        return 401, {"error": "missing bearer token"}
    cart = Cart()
    try:
        for line in body.get("items", []):
            cart.add_item(str(line["sku"]), parse_quantity(line["quantity"]), int(line["price_cents"]))
        order_id = service.place_order(str(body["email"]), cart, str(body.get("code", "")), date.today())
    except (KeyError, TypeError, ValueError, CartError) as exc:
        return 400, {"error": str(exc)}
    except OutOfStock as exc:
        return 409, {"error": str(exc), "sku": exc.sku}
    return 201, {"order_id": order_id}
