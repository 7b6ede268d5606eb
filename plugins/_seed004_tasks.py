"""Engineering tasks on the fixture repository (``factory/fixture_repo``): real bugs and small
features with the test that pins them, the exact edit (its ``old`` text occurs once in the file, which
the dry-run edit checks), and the pytest output before and after. Agentic, skills, collaboration and
problem-solving records are built from these, so their reads and edits are grounded."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    key: str
    file: str
    kind: str  # bug | feature
    asks: tuple[str, ...]
    symptom: str
    cause: str
    grep: str  # a search that leads to the code
    test_file: str
    test_name: str
    test_code: str
    old: str
    new: str
    failure: str  # the assertion / error line pytest prints before the fix
    plan: tuple[str, ...]
    passed_before: int  # other tests in the test file

    @property
    def fail_output(self) -> str:
        return _pytest_fail(self)

    @property
    def pass_output(self) -> str:
        return _pytest_pass(self)


def _pytest_fail(t: Task) -> str:
    return (f"F{'.' * t.passed_before}\n=================================== FAILURES ===================================\n"
            f"_{'_' * 10} {t.test_name} {'_' * 10}\n{t.failure}\n"
            f"=========================== short test summary info ============================\n"
            f"FAILED {t.test_file}::{t.test_name}\n1 failed" + (f", {t.passed_before} passed" if t.passed_before else "")
            + " in 0.05s")


def _pytest_pass(t: Task) -> str:
    return f"{'.' * (t.passed_before + 1)}\n{t.passed_before + 1} passed in 0.04s"


TASKS = [
    Task(
        "release_overflow", "src/shoplite/inventory.py", "bug",
        ("Releasing more stock than was reserved silently does nothing wrong -- it should be an error.",
         "We double-released a reservation in production and nobody noticed. Make `Inventory.release` strict.",
         "`release` clamps to zero and hides double cancellations; I want it to raise."),
        "cancelling the same order twice leaves reserved stock at 0 with no error",
        "`release` clamps with `max(0, ...)`, so releasing more than is reserved is silently accepted",
        r"def release",
        "tests/test_inventory.py", "test_releasing_more_than_reserved_raises",
        "import pytest\nfrom shoplite.inventory import Inventory\n\n\n"
        "def test_releasing_more_than_reserved_raises():\n    inv = Inventory()\n    inv.restock(\"TEA-01\", 5)\n"
        "    inv.reserve(\"TEA-01\", 2)\n    with pytest.raises(ValueError):\n        inv.release(\"TEA-01\", 3)\n",
        "        self._reserved[sku] = max(0, self._reserved.get(sku, 0) - quantity)",
        "        reserved = self._reserved.get(sku, 0)\n        if quantity > reserved:\n"
        "            raise ValueError(f\"{sku}: cannot release {quantity}, only {reserved} reserved\")\n"
        "        self._reserved[sku] = reserved - quantity",
        "E       Failed: DID NOT RAISE <class 'ValueError'>",
        ("Pin the behaviour with a failing test", "Make `release` raise when asked to release more than is reserved",
         "Check callers in `orders.py` still release only what they reserved"),
        0,
    ),
    Task(
        "bearer_case", "src/shoplite/auth.py", "bug",
        ("Clients sending `authorization: bearer <token>` (lowercase) get 401. Fix it.",
         "Our mobile app lowercases the auth scheme and every request is rejected.",
         "The bearer parsing is case-sensitive; RFC 6750 says the scheme isn't."),
        "requests with `bearer abc123` get `401 missing bearer token`",
        "`bearer_token` checks `header.startswith(\"Bearer \")`, which is case-sensitive",
        r"Bearer ",
        "tests/test_auth.py", "test_scheme_is_case_insensitive",
        "from shoplite.auth import bearer_token\n\n\ndef test_scheme_is_case_insensitive():\n"
        "    assert bearer_token(\"bearer abc123\") == \"abc123\"\n    assert bearer_token(\"BEARER abc123\") == \"abc123\"\n",
        "    if not header or not header.startswith(\"Bearer \"):\n        return None\n"
        "    token = header.removeprefix(\"Bearer \").strip()",
        "    scheme, _, token = (header or \"\").partition(\" \")\n    if scheme.lower() != \"bearer\":\n"
        "        return None\n    token = token.strip()",
        "E       AssertionError: assert None == 'abc123'",
        ("Write a test with lowercase and uppercase schemes", "Compare the scheme case-insensitively",
         "Keep rejecting other schemes such as Basic"),
        0,
    ),
    Task(
        "price_overwrite", "src/shoplite/cart.py", "bug",
        ("Adding an item that's already in the cart at a new price silently changes the price of the earlier units.",
         "Cart bug: add TEA-01 at 450, then again at 500, and all units cost 500.",
         "Re-adding a SKU with a different price should be refused, not repriced."),
        "the subtotal jumps when the same SKU is added again at a different price",
        "`add_item` rebuilds the `LineItem` with the new `unit_price_cents` for all units",
        r"LineItem\(sku",
        "tests/test_cart_prices.py", "test_re_adding_at_another_price_is_refused",
        "import pytest\nfrom shoplite.cart import Cart, CartError\n\n\n"
        "def test_re_adding_at_another_price_is_refused():\n    cart = Cart()\n    cart.add_item(\"TEA-01\", 1, 450)\n"
        "    with pytest.raises(CartError):\n        cart.add_item(\"TEA-01\", 1, 500)\n",
        "        current = self.items.get(sku)\n",
        "        current = self.items.get(sku)\n        if current and current.unit_price_cents != unit_price_cents:\n"
        "            raise CartError(f\"{sku} is already in the cart at {current.unit_price_cents} cents\")\n",
        "E       Failed: DID NOT RAISE <class 'shoplite.cart.CartError'>",
        ("Reproduce with a test that adds the same SKU at two prices", "Refuse a second price in `add_item`",
         "Decide with product whether repricing should ever be allowed"),
        0,
    ),
    Task(
        "settings_error", "src/shoplite/config.py", "bug",
        ("With SHOPLITE_TAX_RATE=abc the service dies with `invalid literal for int()`. Make the error say which variable.",
         "Startup crash message is useless when an env var is not a number. Improve it.",
         "Config errors should name the variable. Right now they don't."),
        "`ValueError: invalid literal for int() with base 10: 'abc'` at start-up",
        "`load_settings` calls `int(...)` on raw environment values with no context",
        r"int\(os.environ",
        "tests/test_config.py", "test_bad_number_names_the_variable",
        "import pytest\nfrom shoplite.config import load_settings\n\n\n"
        "def test_bad_number_names_the_variable(monkeypatch):\n    monkeypatch.setenv(\"SHOPLITE_TAX_RATE\", \"abc\")\n"
        "    with pytest.raises(ValueError, match=\"SHOPLITE_TAX_RATE\"):\n        load_settings()\n",
        "    return Settings(\n        database_path=os.environ.get(\"SHOPLITE_DB\", \"shoplite.db\"),\n"
        "        tax_rate_percent=int(os.environ.get(\"SHOPLITE_TAX_RATE\", \"20\")),\n",
        "    try:\n        tax_rate = int(os.environ.get(\"SHOPLITE_TAX_RATE\", \"20\"))\n    except ValueError:\n"
        "        raise ValueError(\"SHOPLITE_TAX_RATE must be an integer\") from None\n    return Settings(\n"
        "        database_path=os.environ.get(\"SHOPLITE_DB\", \"shoplite.db\"),\n        tax_rate_percent=tax_rate,\n",
        "E       AssertionError: Regex pattern did not match.\nE        Regex: 'SHOPLITE_TAX_RATE'\n"
        "E        Input: \"invalid literal for int() with base 10: 'abc'\"",
        ("Add a test that sets a bad value", "Catch the conversion error and name the variable",
         "Do the same for SHOPLITE_MAX_ITEMS next"),
        0,
    ),
    Task(
        "reservation_leak", "src/shoplite/orders.py", "bug",
        ("When the second item of an order is out of stock, the first item's reservation is never released.",
         "Stock is slowly disappearing: failed checkouts keep their reservations.",
         "place_order leaks reservations on OutOfStock. Please fix."),
        "after a failed checkout, `available()` for the first SKU stays lower than before",
        "`place_order` reserves items one by one and does not undo earlier reservations when a later one raises",
        r"self.inventory.reserve",
        "tests/test_orders.py", "test_failed_order_releases_earlier_reservations",
        "from datetime import date\n\nimport pytest\nfrom shoplite.cart import Cart\nfrom shoplite.inventory import Inventory, OutOfStock\n"
        "from shoplite.orders import OrderService\nfrom shoplite.storage import OrderStore\n\n\n"
        "def test_failed_order_releases_earlier_reservations():\n    inv = Inventory()\n    inv.restock(\"TEA-01\", 5)\n"
        "    cart = Cart()\n    cart.add_item(\"TEA-01\", 2, 450)\n    cart.add_item(\"MUG-02\", 1, 900)\n"
        "    service = OrderService(OrderStore(\":memory:\"), inv, 20)\n    with pytest.raises(OutOfStock):\n"
        "        service.place_order(\"a@example.com\", cart, \"\", date(2026, 1, 1))\n"
        "    assert inv.available(\"TEA-01\") == 5\n",
        "        for item in cart.items.values():\n            self.inventory.reserve(item.sku, item.quantity)\n",
        "        reserved = []\n        try:\n            for item in cart.items.values():\n"
        "                self.inventory.reserve(item.sku, item.quantity)\n                reserved.append(item)\n"
        "        except Exception:\n            for item in reserved:\n"
        "                self.inventory.release(item.sku, item.quantity)\n            raise\n",
        "E       AssertionError: assert 3 == 5\nE        +  where 3 = available('TEA-01')",
        ("Write a test with one available and one missing SKU", "Release what was reserved when a later reserve fails",
         "Re-raise so the API still answers 409", "Consider a single transaction for reservations later"),
        0,
    ),
    Task(
        "missing_field_message", "src/shoplite/api.py", "bug",
        ("A checkout without `email` returns `{\"error\": \"'email'\"}`. Make it say the field is missing.",
         "Our API error for a missing field is just the key in quotes. Clients can't show that.",
         "KeyError messages leak into 400 responses. Fix the message."),
        "400 response body `{\"error\": \"'email'\"}`",
        "`handle_checkout` turns a `KeyError` into `str(exc)`, which is the quoted key",
        r"except \(KeyError",
        "tests/test_api.py", "test_missing_email_names_the_field",
        "from shoplite.api import handle_checkout\n\n\ndef test_missing_email_names_the_field():\n"
        "    status, body = handle_checkout(None, {\"Authorization\": \"Bearer t\"}, {\"items\": []})\n"
        "    assert status == 400\n    assert body == {\"error\": \"missing field: email\"}\n",
        "    except (KeyError, TypeError, ValueError, CartError) as exc:\n        return 400, {\"error\": str(exc)}\n",
        "    except KeyError as exc:\n        return 400, {\"error\": f\"missing field: {exc.args[0]}\"}\n"
        "    except (TypeError, ValueError, CartError) as exc:\n        return 400, {\"error\": str(exc)}\n",
        "E       AssertionError: assert {'error': \"'email'\"} == {'error': 'missing field: email'}",
        ("Test the missing-field response", "Handle `KeyError` separately with a readable message",
         "Check the other 400 paths keep their messages"),
        0,
    ),
    Task(
        "refund_state", "src/shoplite/orders.py", "feature",
        ("Add a `refunded` state: paid and shipped orders can be refunded, nothing after that.",
         "Support refunds in the order lifecycle.", "We need orders to move to `refunded` from paid or shipped."),
        "",
        "",
        r"TRANSITIONS",
        "tests/test_orders.py", "test_shipped_orders_can_be_refunded",
        "from shoplite.orders import TRANSITIONS\n\n\ndef test_shipped_orders_can_be_refunded():\n"
        "    assert \"refunded\" in TRANSITIONS[\"shipped\"]\n    assert \"refunded\" in TRANSITIONS[\"paid\"]\n"
        "    assert TRANSITIONS[\"refunded\"] == set()\n",
        "    \"paid\": {\"shipped\", \"cancelled\"},\n    \"shipped\": set(),\n",
        "    \"paid\": {\"shipped\", \"cancelled\", \"refunded\"},\n    \"shipped\": {\"refunded\"},\n    \"refunded\": set(),\n",
        "E       AssertionError: assert 'refunded' in set()",
        ("Add the test for the new transitions", "Extend `TRANSITIONS`", "Update docs/ARCHITECTURE.md's lifecycle line",
         "Make the Go worker ignore refunded orders"),
        0,
    ),
    Task(
        "partial_remove", "src/shoplite/cart.py", "feature",
        ("Let `remove_item` take an optional quantity so users can remove some units, not the whole line.",
         "Feature: remove N units of a SKU from the cart.", "`remove_item(sku, quantity=None)` -- partial removal please."),
        "",
        "",
        r"def remove_item",
        "tests/test_cart_remove.py", "test_removing_some_units_keeps_the_rest",
        "from shoplite.cart import Cart\n\n\ndef test_removing_some_units_keeps_the_rest():\n    cart = Cart()\n"
        "    cart.add_item(\"TEA-01\", 3, 450)\n    cart.remove_item(\"TEA-01\", 2)\n"
        "    assert cart.items[\"TEA-01\"].quantity == 1\n",
        "    def remove_item(self, sku: str) -> None:\n        if sku not in self.items:\n"
        "            raise CartError(f\"{sku} is not in the cart\")\n        del self.items[sku]\n",
        "    def remove_item(self, sku: str, quantity: int | None = None) -> None:\n        if sku not in self.items:\n"
        "            raise CartError(f\"{sku} is not in the cart\")\n        item = self.items[sku]\n"
        "        if quantity is None or quantity >= item.quantity:\n            del self.items[sku]\n"
        "        elif quantity <= 0:\n            raise CartError(f\"quantity must be positive, got {quantity}\")\n"
        "        else:\n            item.quantity -= quantity\n",
        "E       TypeError: Cart.remove_item() takes 2 positional arguments but 3 were given",
        ("Write the test for partial removal", "Add an optional `quantity` to `remove_item`",
         "Reject zero or negative quantities", "Keep removing the whole line when no quantity is given"),
        2,
    ),
]

BUGS = [t for t in TASKS if t.kind == "bug"]
