"""Engineering tasks on the fixture repository (``factory/sandbox/fixture_repo``): real bugs and small
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
        "E       Failed: DID NOT RAISE ValueError",
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
        "E       AssertionError: assert None == 'abc123'\nE        +  where None = bearer_token('bearer abc123')",
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
        "E       Failed: DID NOT RAISE CartError",
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
        "E       AssertionError: Regex pattern did not match.\nE         Expected regex: 'SHOPLITE_TAX_RATE'\n"
        "E         Actual message: \"invalid literal for int() with base 10: 'abc'\"",
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
        "from shoplite.api import handle_checkout\nfrom shoplite.inventory import Inventory\n"
        "from shoplite.orders import OrderService\nfrom shoplite.storage import OrderStore\n\n\n"
        "def test_missing_email_names_the_field():\n    service = OrderService(OrderStore(\":memory:\"), Inventory(), 20)\n"
        "    status, body = handle_checkout(service, {\"Authorization\": \"Bearer t\"}, {\"items\": []})\n"
        "    assert status == 400\n    assert body == {\"error\": \"missing field: email\"}\n",
        "    except (KeyError, TypeError, ValueError, CartError) as exc:\n        return 400, {\"error\": str(exc)}\n",
        "    except KeyError as exc:\n        return 400, {\"error\": f\"missing field: {exc.args[0]}\"}\n"
        "    except (TypeError, ValueError, CartError) as exc:\n        return 400, {\"error\": str(exc)}\n",
        "E       assert {'error': \"'email'\"} == {'error': 'mi...field: email'}\nE         Differing items:\n"
        "E         {'error': \"'email'\"} != {'error': 'missing field: email'}",
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
        0,
    ),
    Task(
        "negative_restock", "src/shoplite/inventory.py", "bug",
        ("`Inventory.restock` accepts negative quantities, so a typo in the admin form silently removes stock.",
         "Someone restocked TEA-01 with -5 and stock went down instead of the call failing.",
         "Make restocking refuse zero and negative quantities."),
        "a restock of -5 units lowers the stock level instead of failing",
        "`restock` adds `quantity` to the stock without checking that it is positive",
        r"def restock",
        "tests/test_inventory_restock.py", "test_restocking_a_negative_quantity_is_refused",
        "import pytest\nfrom shoplite.inventory import Inventory\n\n\n"
        "def test_restocking_a_negative_quantity_is_refused():\n    inv = Inventory()\n    with pytest.raises(ValueError):\n"
        "        inv.restock(\"TEA-01\", -5)\n",
        "        self._stock[sku] = self._stock.get(sku, 0) + quantity\n",
        "        if quantity <= 0:\n            raise ValueError(f\"restock quantity must be positive, got {quantity}\")\n"
        "        self._stock[sku] = self._stock.get(sku, 0) + quantity\n",
        "E       Failed: DID NOT RAISE ValueError",
        ("Pin it with a test that restocks -5", "Refuse non-positive quantities in `restock`",
         "Check the admin form shows the error instead of a 500"),
        0,
    ),
    Task(
        "negative_reserve", "src/shoplite/inventory.py", "bug",
        ("Reserving a negative quantity *increases* what's available. That can't be right.",
         "`reserve(\"TEA-01\", -2)` succeeds and available stock goes up by two.",
         "Inventory.reserve needs to reject non-positive quantities."),
        "after `reserve(sku, -2)` the available count is higher than the stock on hand",
        "`reserve` only checks `available(sku) < quantity`, which a negative quantity always passes",
        r"def reserve",
        "tests/test_inventory_reserve.py", "test_reserving_a_negative_quantity_is_refused",
        "import pytest\nfrom shoplite.inventory import Inventory\n\n\n"
        "def test_reserving_a_negative_quantity_is_refused():\n    inv = Inventory()\n    inv.restock(\"TEA-01\", 5)\n"
        "    with pytest.raises(ValueError):\n        inv.reserve(\"TEA-01\", -2)\n    assert inv.available(\"TEA-01\") == 5\n",
        "        if self.available(sku) < quantity:\n",
        "        if quantity <= 0:\n            raise ValueError(f\"reserve quantity must be positive, got {quantity}\")\n"
        "        if self.available(sku) < quantity:\n",
        "E       Failed: DID NOT RAISE ValueError",
        ("Reproduce with a negative reservation", "Reject non-positive quantities before the stock check",
         "Look for callers that could pass a negative quantity"),
        0,
    ),
    Task(
        "discount_rounding", "src/shoplite/pricing.py", "bug",
        ("10% off 9.99 comes out as 9.00, not 8.99. The discount seems to round the wrong way.",
         "Customers complain discounts are a cent short. Tax rounds half up but discounts round down.",
         "`apply_discount` truncates the discount; it should round to the nearest cent like `tax_cents`."),
        "`apply_discount(999, 10)` returns 900 instead of 899",
        "`apply_discount` floors `amount_cents * percent / 100`, so a discount of 99.9 cents becomes 99",
        r"def apply_discount",
        "tests/test_discount_rounding.py", "test_discount_rounds_to_the_nearest_cent",
        "from shoplite.pricing import apply_discount\n\n\ndef test_discount_rounds_to_the_nearest_cent():\n"
        "    assert apply_discount(999, 10) == 899\n    assert apply_discount(1000, 25) == 750\n",
        "    return amount_cents - (amount_cents * percent) // 100\n",
        "    return amount_cents - (amount_cents * percent + 50) // 100\n",
        "E       assert 900 == 899\nE        +  where 900 = apply_discount(999, 10)",
        ("Write a test with an amount whose discount has a fraction of a cent", "Round the discount half up",
         "Confirm with finance that half-up is the rule for discounts too"),
        0,
    ),
    Task(
        "unknown_order_status", "src/shoplite/storage.py", "bug",
        ("Marking a non-existent order as paid succeeds silently. It should fail loudly.",
         "The payment webhook 'paid' an order id that doesn't exist and we got no error at all.",
         "`OrderStore.set_status` ignores unknown ids; please make it raise."),
        "`set_status(999, \"paid\")` returns normally although order 999 does not exist",
        "`set_status` runs the `UPDATE` without checking how many rows it changed",
        r"UPDATE orders",
        "tests/test_storage.py", "test_updating_an_unknown_order_raises",
        "import pytest\nfrom shoplite.storage import OrderStore\n\n\ndef test_updating_an_unknown_order_raises():\n"
        "    store = OrderStore(\":memory:\")\n    with pytest.raises(KeyError):\n        store.set_status(999, \"paid\")\n",
        "            self._conn.execute(\"UPDATE orders SET status = ? WHERE id = ?\", (status, order_id))\n",
        "            cur = self._conn.execute(\"UPDATE orders SET status = ? WHERE id = ?\", (status, order_id))\n"
        "        if cur.rowcount == 0:\n            raise KeyError(f\"no order with id {order_id}\")\n",
        "E       Failed: DID NOT RAISE KeyError",
        ("Reproduce with an empty in-memory store", "Check `rowcount` after the update and raise `KeyError`",
         "Make the webhook answer 404 for unknown orders"),
        0,
    ),
    Task(
        "negative_price", "src/shoplite/cart.py", "bug",
        ("A line item with a negative price makes the cart total go down. Reject it.",
         "Someone posted `price_cents: -450` and got a discount for free.",
         "Cart.add_item must refuse negative unit prices."),
        "a cart line with `unit_price_cents=-450` lowers the subtotal",
        "`add_item` validates the quantity but never the unit price",
        r"def add_item",
        "tests/test_cart_validation.py", "test_a_negative_price_is_refused",
        "import pytest\nfrom shoplite.cart import Cart, CartError\n\n\ndef test_a_negative_price_is_refused():\n"
        "    cart = Cart()\n    with pytest.raises(CartError):\n        cart.add_item(\"TEA-01\", 1, -450)\n",
        "            raise CartError(f\"quantity must be positive, got {quantity}\")\n",
        "            raise CartError(f\"quantity must be positive, got {quantity}\")\n        if unit_price_cents < 0:\n"
        "            raise CartError(f\"price must not be negative, got {unit_price_cents}\")\n",
        "E       Failed: DID NOT RAISE CartError",
        ("Reproduce with a negative price", "Validate the price next to the quantity check",
         "Consider validating prices against the catalogue instead of trusting the client"),
        0,
    ),
    Task(
        "store_close", "src/shoplite/storage.py", "feature",
        ("Add `OrderStore.close()` so tests and the CLI can release the SQLite connection.",
         "The order store never closes its connection. Give it a `close` method.",
         "Feature: a way to close the store's database connection."),
        "",
        "",
        r"class OrderStore",
        "tests/test_storage_close.py", "test_a_closed_store_refuses_queries",
        "import sqlite3\n\nimport pytest\nfrom shoplite.storage import OrderStore\n\n\n"
        "def test_a_closed_store_refuses_queries():\n    store = OrderStore(\":memory:\")\n    store.close()\n"
        "    with pytest.raises(sqlite3.ProgrammingError):\n        store.find_by_status(\"paid\")\n",
        "    def set_status(self, order_id: int, status: str) -> None:\n",
        "    def close(self) -> None:\n        self._conn.close()\n\n"
        "    def set_status(self, order_id: int, status: str) -> None:\n",
        "E       AttributeError: 'OrderStore' object has no attribute 'close'",
        ("Write a test that closes the store and queries it", "Add `close()` delegating to the connection",
         "Use the store as a context manager in the CLI next"),
        0,
    ),
]

BUGS = [t for t in TASKS if t.kind == "bug"]
