"""Engineering tasks on the fixture repositories (:mod:`factory.sandbox.fixtures`): real bugs and small
features with the test that pins them, the exact edit (its ``old`` text occurs once in the file, which
the dry-run edit checks), and what the repository's test runner prints before and after. Agentic,
skills, collaboration and problem-solving records are built from these, so their reads and edits are
grounded; ``tests/sandbox/`` runs every one for real."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from factory.sandbox.fixtures import REPOS, FixtureRepo


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
    failure: str  # the lines the test runner prints about the failure before the fix
    plan: tuple[str, ...]
    passed_before: int  # other tests the runner reports beside the new one
    repo: str = "shoplite"  # the fixture repository (factory/sandbox/repos/NAME)

    @property
    def fixture(self) -> FixtureRepo:
        return REPOS[self.repo]

    @property
    def test_ref(self) -> str:
        """How a developer names the test: pytest's node id, else the test and its file."""
        if self.fixture.runner == "pytest":
            return f"`{self.test_file}::{self.test_name}`"
        name = f"`{self.test_name}`" if self.fixture.runner == "go" else f'"{self.test_name}"'
        return f"{name} in `{self.test_file}`"

    @property
    def fail_output(self) -> str:
        return _FORMATS[self.fixture.runner][0](self)

    @property
    def pass_output(self) -> str:
        return _FORMATS[self.fixture.runner][1](self)


def _pytest_fail(t: Task) -> str:
    return (f"F{'.' * t.passed_before}\n=================================== FAILURES ===================================\n"
            f"_{'_' * 10} {t.test_name} {'_' * 10}\n{t.failure}\n"
            f"=========================== short test summary info ============================\n"
            f"FAILED {t.test_file}::{t.test_name}\n1 failed" + (f", {t.passed_before} passed" if t.passed_before else "")
            + " in 0.05s")


def _pytest_pass(t: Task) -> str:
    return f"{'.' * (t.passed_before + 1)}\n{t.passed_before + 1} passed in 0.04s"


def _go_package(t: Task) -> str:
    return f"{t.fixture.module}/{PurePosixPath(t.test_file).parent}"


def _go_fail(t: Task) -> str:
    return (f"--- FAIL: {t.test_name} (0.00s)\n{t.failure}\nFAIL\nFAIL\t{_go_package(t)}\t0.004s\nFAIL")


def _go_pass(t: Task) -> str:
    return f"ok  \t{_go_package(t)}\t0.003s"


def _node_fail(t: Task) -> str:  # Node's dot reporter
    return f"{'.' * t.passed_before}X\n\nFailed tests:\n\n\u2716 {t.test_name} (3.1ms)\n{t.failure}"


def _node_pass(t: Task) -> str:
    return "." * (t.passed_before + 1)


_FORMATS = {"pytest": (_pytest_fail, _pytest_pass), "go": (_go_fail, _go_pass), "node": (_node_fail, _node_pass)}


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
        ("Write a test with lowercase and uppercase schemes", "Compare the bearer scheme case-insensitively",
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
        ("Reproduce with a test that adds the same SKU at two prices", "Refuse a second price for the same SKU in `add_item`",
         "Decide with product whether repricing should ever be allowed"),
        0,
    ),
    Task(
        "settings_error", "src/shoplite/config.py", "bug",
        ("With SHOPLITE_TAX_RATE=abc the service dies with `invalid literal for int()`. Make the error say which variable.",
         "Startup crash message is useless when an env var is not a number. Improve it.",
         "Config errors should name the variable. Right now they don't."),
        "the service dies at start-up with `ValueError: invalid literal for int() with base 10: 'abc'`",
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
        ("Add a test that sets a bad value", "Catch the conversion error in `load_settings` and name the variable",
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
        "a checkout without `email` gets the 400 body `{\"error\": \"'email'\"}`",
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
        ("Add the test for the new transitions", "Extend `TRANSITIONS` with a `refunded` state reachable from paid and shipped", "Update docs/ARCHITECTURE.md's lifecycle line",
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
        ("Reproduce with a negative reservation", "Reject non-positive quantities in `reserve` before the stock check",
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
        ("Reproduce with a negative price", "Validate the unit price next to the quantity check in `add_item`",
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
        ("Write a test that closes the store and queries it", "Add an `OrderStore.close()` that closes the connection",
         "Use the store as a context manager in the CLI next"),
        0,
    ),
]

# What the Go test runner and Node's (dot reporter; stack frames left out) print about each failure.
FAILURES = {
    'partial_refill': '    refill_test.go:14: Take() refused after 500ms at 2 tokens/s (wait 500ms)',
    'backoff_overflow': '    overflow_test.go:12: Delay(40) = -202583h47m44.657309696s, want 1m0s\n    overflow_test.go:12: Delay(63) = 0s, want 1m0s\n    overflow_test.go:12: Delay(64) = 0s, want 1m0s\n    overflow_test.go:12: Delay(200) = 0s, want 1m0s',
    'zero_count': '    positive_test.go:8: ParseLimit("0/min") = {Count:0 Per:1m0s}, want an error\n    positive_test.go:8: ParseLimit("-5/s") = {Count:-5 Per:1s}, want an error',
    'client_port': '    client_test.go:21: Clients() = 2 after two connections from one host, want 1',
    'remaining_header': '    remaining_test.go:18: X-RateLimit-Remaining = "", want "2"',
    'slug_punctuation': '  AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:\n  + actual - expected\n  \n  + "what\'s-new?"\n  - \'whats-new\'',
    'fenced_links': "  AssertionError [ERR_ASSERTION]: Expected values to be strictly deep-equal:\n  + actual - expected\n  \n    {\n  +   headings: [\n  +     'not a heading'\n  +   ],\n  +   links: [\n  +     {\n  +       line: 3,\n  +       target: 'nowhere.md',\n  +       text: 'x'\n  +     }\n  +   ]\n  -   headings: [],\n  -   links: []\n    }",
    'link_titles': "  AssertionError [ERR_ASSERTION]: Expected values to be strictly deep-equal:\n  + actual - expected\n  \n  + []\n  - [\n  -   {\n  -     line: 1,\n  -     target: 'docs/guide.md',\n  -     text: 'guide'\n  -   }\n  - ]",
    'report_plural': "  AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:\n  + actual - expected\n  \n  + '1 broken links'\n  - '1 broken link'\n                  ^",
    'duplicate_anchors': "  AssertionError [ERR_ASSERTION]: Expected values to be strictly deep-equal:\n  + actual - expected\n  \n    [\n      'usage',\n  +   'usage',\n  +   'usage'\n  -   'usage-1',\n  -   'usage-2'\n    ]",
}

GO_TASKS = [
    Task(
        "partial_refill", "allowance/allowance.go", "bug",
        ("A client limited to 2 requests a second still gets refused half a second after its last request.",
         "The allowance only refills in whole seconds. Sub-second traffic is throttled far harder than configured.",
         "Fix the token allowance: tokens should come back continuously, not once per full second."),
        "at 2 tokens a second, a request 500 ms after the allowance emptied is refused",
        "`refill` truncates the elapsed time to whole seconds with `int(elapsed.Seconds())`, so any refill "
        "shorter than a second adds nothing",
        r"func \(b \*Allowance\) refill",
        "allowance/refill_test.go", "TestHalfASecondRefillsAtTwoPerSecond",
        "package allowance\n\nimport (\n\t\"testing\"\n\t\"time\"\n)\n\n"
        "func TestHalfASecondRefillsAtTwoPerSecond(t *testing.T) {\n\tclock := &fakeClock{t: time.Unix(0, 0)}\n"
        "\tb := New(1, 2, clock.now)\n\tb.Take()\n\tclock.advance(500 * time.Millisecond)\n"
        "\tif ok, wait := b.Take(); !ok {\n\t\tt.Fatalf(\"Take() refused after 500ms at 2 tokens/s (wait %v)\", wait)\n\t}\n}\n",
        "\tb.tokens += float64(int(elapsed.Seconds())) * b.rate\n",
        "\tb.tokens += elapsed.Seconds() * b.rate\n",
        FAILURES['partial_refill'],
        ("Pin the sub-second refill with a failing test", "Refill by the exact elapsed time, not whole seconds",
         "Check the wait `Take` reports still matches the refill"),
        0, "ratelimit",
    ),
    Task(
        "backoff_overflow", "backoff/backoff.go", "bug",
        ("After a long outage our retry loop stops waiting at all -- the delay drops to zero or goes negative.",
         "`Policy.Delay` misbehaves for large attempt numbers. It should never exceed `Max`, and never be below it once capped.",
         "Retries hammer the upstream after about 40 attempts. Make the backoff cap hold for any attempt."),
        "`Delay(40)` with a 100 ms base returns a negative duration instead of `Max`",
        "`Delay` shifts `Base` left by the attempt before comparing with `Max`, so a large attempt overflows "
        "`time.Duration` and the comparison sees a wrapped value",
        r"func \(p Policy\) Delay",
        "backoff/overflow_test.go", "TestLargeAttemptsStayAtMax",
        "package backoff\n\nimport (\n\t\"testing\"\n\t\"time\"\n)\n\n"
        "func TestLargeAttemptsStayAtMax(t *testing.T) {\n\tp := Policy{Base: 100 * time.Millisecond, Max: time.Minute}\n"
        "\tfor _, attempt := range []int{40, 63, 64, 200} {\n\t\tif got := p.Delay(attempt); got != time.Minute {\n"
        "\t\t\tt.Errorf(\"Delay(%d) = %v, want 1m0s\", attempt, got)\n\t\t}\n\t}\n}\n",
        "\td := p.Base << uint(attempt)\n\tif d > p.Max {\n\t\treturn p.Max\n\t}\n\treturn d\n",
        "\tif attempt >= 62 || p.Base > p.Max>>uint(attempt) {\n\t\treturn p.Max\n\t}\n\treturn p.Base << uint(attempt)\n",
        FAILURES['backoff_overflow'],
        ("Write a test for attempts that overflow the shift", "Compare against `Max` before shifting in `Policy.Delay`",
         "Review other callers that pass unbounded attempt counts"),
        0, "ratelimit",
    ),
    Task(
        "zero_count", "config/config.go", "bug",
        ("`--limit 0/min` starts the daemon, and then every request divides by zero somewhere. Reject it at parse time.",
         "ParseLimit accepts a count of zero or below. That should be a configuration error.",
         "A typo in the limit (`-5/min`) silently disables the service. Make `ParseLimit` strict about the count."),
        "`ParseLimit(\"0/min\")` returns a limit instead of an error",
        "`ParseLimit` checks that the count is a number but not that it is positive",
        r"func ParseLimit",
        "config/positive_test.go", "TestParseLimitRejectsCountsBelowOne",
        "package config\n\nimport \"testing\"\n\n"
        "func TestParseLimitRejectsCountsBelowOne(t *testing.T) {\n\tfor _, raw := range []string{\"0/min\", \"-5/s\"} {\n"
        "\t\tif l, err := ParseLimit(raw); err == nil {\n\t\t\tt.Errorf(\"ParseLimit(%q) = %+v, want an error\", raw, l)\n"
        "\t\t}\n\t}\n}\n",
        "\t\treturn Limit{}, fmt.Errorf(\"limit %q: count: %w\", raw, err)\n\t}\n",
        "\t\treturn Limit{}, fmt.Errorf(\"limit %q: count: %w\", raw, err)\n\t}\n\tif n < 1 {\n"
        "\t\treturn Limit{}, fmt.Errorf(\"limit %q: count must be at least 1\", raw)\n\t}\n",
        FAILURES['zero_count'],
        ("Pin zero and negative counts with a failing test", "Reject counts below one in `ParseLimit`",
         "Make the daemon print the parse error and exit"),
        0, "ratelimit",
    ),
    Task(
        "client_port", "middleware/middleware.go", "bug",
        ("Each new connection from the same client gets a fresh allowance, so the limit never bites for keep-alive-less clients.",
         "The limiter keys clients by `RemoteAddr`, port included. One host should be one client.",
         "Our health checks from 127.0.0.1 are being rate-limited even though loopback is supposed to be exempt."),
        "two requests from one host on different ports get two allowances, and loopback clients are never exempt",
        "`clientKey` returns `r.RemoteAddr`, which includes the client's port, so every connection is a new "
        "client and `isLoopback` never sees a bare IP",
        r"func clientKey",
        "middleware/client_test.go", "TestOneHostOnTwoConnectionsIsOneClient",
        "package middleware\n\nimport (\n\t\"net/http\"\n\t\"net/http/httptest\"\n\t\"testing\"\n\t\"time\"\n\n"
        "\t\"example.com/ratelimit/config\"\n)\n\n"
        "func TestOneHostOnTwoConnectionsIsOneClient(t *testing.T) {\n"
        "\tl := New(config.Limit{Count: 1, Per: time.Minute}, fixed)\n"
        "\th := l.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))\n"
        "\tfor _, addr := range []string{\"198.51.100.7:40001\", \"198.51.100.7:40002\"} {\n"
        "\t\treq := httptest.NewRequest(\"GET\", \"/\", nil)\n\t\treq.RemoteAddr = addr\n"
        "\t\th.ServeHTTP(httptest.NewRecorder(), req)\n\t}\n"
        "\tif got := l.Clients(); got != 1 {\n\t\tt.Fatalf(\"Clients() = %d after two connections from one host, want 1\", got)\n\t}\n}\n",
        "\treturn r.RemoteAddr\n",
        "\thost, _, err := net.SplitHostPort(r.RemoteAddr)\n\tif err != nil {\n\t\treturn r.RemoteAddr\n\t}\n\treturn host\n",
        FAILURES['client_port'],
        ("Reproduce with two requests from one host on two ports", "Key clients by host, without the port",
         "Check the loopback exemption now applies"),
        0, "ratelimit",
    ),
    Task(
        "remaining_header", "middleware/middleware.go", "feature",
        ("Clients want to know how close they are to the limit. Add an `X-RateLimit-Remaining` header to allowed responses.",
         "Expose the tokens left in each response as `X-RateLimit-Remaining`, like GitHub's API does.",
         "Add a remaining-requests header so our SDK can slow down before it gets a 429."),
        "allowed responses carry no `X-RateLimit-Remaining` header",
        "`Wrap` never reports the allowance's remaining tokens",
        r"Take\(\)",
        "middleware/remaining_test.go", "TestAllowedResponsesSayWhatRemains",
        "package middleware\n\nimport (\n\t\"net/http\"\n\t\"net/http/httptest\"\n\t\"testing\"\n\t\"time\"\n\n"
        "\t\"example.com/ratelimit/config\"\n)\n\n"
        "func TestAllowedResponsesSayWhatRemains(t *testing.T) {\n"
        "\tl := New(config.Limit{Count: 3, Per: time.Minute}, fixed)\n"
        "\th := l.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))\n"
        "\trec := httptest.NewRecorder()\n\th.ServeHTTP(rec, httptest.NewRequest(\"GET\", \"/\", nil))\n"
        "\tif got := rec.Header().Get(\"X-RateLimit-Remaining\"); got != \"2\" {\n"
        "\t\tt.Fatalf(\"X-RateLimit-Remaining = %q, want \\\"2\\\"\", got)\n\t}\n}\n",
        "\t\tok, wait := l.allowanceFor(key).Take()\n",
        "\t\tb := l.allowanceFor(key)\n\t\tok, wait := b.Take()\n"
        "\t\tw.Header().Set(\"X-RateLimit-Remaining\", strconv.Itoa(b.Tokens()))\n",
        FAILURES['remaining_header'],
        ("Write a test that reads the header after one request", "Set `X-RateLimit-Remaining` from the allowance's tokens after `Take`",
         "Document the header in the README"),
        0, "ratelimit",
    ),
]

JS_TASKS = [
    Task(
        "slug_punctuation", "src/slug.js", "bug",
        ("Links to `#whats-new` are reported broken although the heading \"What's new?\" exists.",
         "`slugify` keeps punctuation. GitHub drops it, so our anchors never match for headings with `?` or `'`.",
         "Headings with punctuation produce anchors GitHub would never generate. Fix `slugify`."),
        "a link to `#whats-new` is reported broken next to the heading \"What's new?\"",
        "`slugify` only lower-cases and replaces whitespace; it keeps punctuation such as `'` and `?`, which "
        "GitHub removes",
        r"export function slugify",
        "test/punctuation.test.js", "slugify drops punctuation as GitHub does",
        "import assert from \"node:assert/strict\";\nimport { test } from \"node:test\";\n"
        "import { slugify } from \"../src/slug.js\";\n\n"
        "test(\"slugify drops punctuation as GitHub does\", () => {\n"
        "  assert.equal(slugify(\"What's new?\"), \"whats-new\");\n});\n",
        "    .toLowerCase()\n    .replace(/\\s/g, \"-\");\n",
        "    .toLowerCase()\n    .replace(/[^\\p{L}\\p{N}\\s_-]/gu, \"\")\n    .replace(/\\s/g, \"-\");\n",
        FAILURES['slug_punctuation'],
        ("Pin the anchor of a heading with punctuation", "Make `slugify` drop everything but letters, digits, spaces, `_` and `-`",
         "Re-check the README's own anchors"),
        0, "mdlinks",
    ),
    Task(
        "fenced_links", "src/parse.js", "bug",
        ("mdlinks reports broken links inside code blocks -- they're examples, not links.",
         "A Markdown example in a ``` fence shouldn't be checked. Right now its links and `#` comments count.",
         "Our docs show link syntax inside fenced code blocks and the checker flags every one. Skip fenced code."),
        "a link written inside a fenced code block is reported as broken",
        "`extract` scans every line, including the ones inside ``` or ~~~ fences, so example links and shell "
        "comments that look like headings are picked up",
        r"lines\.forEach",
        "test/fences.test.js", "extract skips fenced code blocks",
        "import assert from \"node:assert/strict\";\nimport { test } from \"node:test\";\n"
        "import { extract } from \"../src/parse.js\";\n\n"
        "test(\"extract skips fenced code blocks\", () => {\n"
        "  const { links, headings } = extract(\"```md\\n# not a heading\\n[x](nowhere.md)\\n```\\n\");\n"
        "  assert.deepEqual({ links, headings }, { links: [], headings: [] });\n});\n",
        "  lines.forEach((line, index) => {\n    const lineNo = index + 1;\n",
        "  let fenced = false;\n  lines.forEach((line, index) => {\n    const lineNo = index + 1;\n"
        "    if (/^\\s{0,3}(```|~~~)/.test(line)) {\n      fenced = !fenced;\n      return;\n    }\n"
        "    if (fenced) {\n      return;\n    }\n",
        FAILURES['fenced_links'],
        ("Reproduce with a link inside a fence", "Make `extract` skip the lines inside code fences",
         "Consider indented code blocks next"),
        0, "mdlinks",
    ),
    Task(
        "link_titles", "src/parse.js", "bug",
        ("Links with a title, like `[guide](docs/guide.md \"The guide\")`, are never checked at all.",
         "The inline-link pattern misses links that carry a title, so broken ones slip through.",
         "`extract` ignores `[text](target \"title\")` links. Make it find them, without the title in the target."),
        "`[guide](docs/guide.md \"The guide\")` is not extracted",
        "the `INLINE` pattern only allows the target before the closing parenthesis, so a link with a "
        "`\"title\"` does not match",
        r"const INLINE",
        "test/titles.test.js", "extract finds links that have a title",
        "import assert from \"node:assert/strict\";\nimport { test } from \"node:test\";\n"
        "import { extract } from \"../src/parse.js\";\n\n"
        "test(\"extract finds links that have a title\", () => {\n"
        "  const { links } = extract('[guide](docs/guide.md \"The guide\")');\n"
        "  assert.deepEqual(links, [{ text: \"guide\", target: \"docs/guide.md\", line: 1 }]);\n});\n",
        "const INLINE = /\\[([^\\]]*)\\]\\(([^)\\s]+)\\)/g;\n",
        "const INLINE = /\\[([^\\]]*)\\]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)/g;\n",
        FAILURES['link_titles'],
        ("Pin a titled link with a test", "Let the `INLINE` pattern accept an optional quoted title after the target",
         "Check reference definitions with titles too"),
        0, "mdlinks",
    ),
    Task(
        "report_plural", "src/report.js", "bug",
        ("The report ends with \"1 broken links\". Small thing, but it's in every CI log.",
         "Fix the summary line's plural: one broken link should read \"1 broken link\".",
         "Grammar bug in the report footer when exactly one link is broken."),
        "a run with one broken link prints \"1 broken links\"",
        "`formatReport` always writes \"links\", whatever the count",
        r"broken links",
        "test/plural.test.js", "one broken link is not plural",
        "import assert from \"node:assert/strict\";\nimport { test } from \"node:test\";\n"
        "import { formatReport } from \"../src/report.js\";\n\n"
        "test(\"one broken link is not plural\", () => {\n"
        "  const report = formatReport(\"README.md\", [{ line: 3, target: \"gone.md\", reason: \"no file gone.md\" }]);\n"
        "  assert.equal(report.split(\"\\n\").at(-1), \"1 broken link\");\n});\n",
        "  lines.push(`${broken.length} broken links`);\n",
        "  lines.push(`${broken.length} broken link${broken.length === 1 ? \"\" : \"s\"}`);\n",
        FAILURES['report_plural'],
        ("Write a test for a report with one broken link", "Choose between \"link\" and \"links\" from the count",
         "Check the zero case still says \"all links resolve\""),
        0, "mdlinks",
    ),
    Task(
        "duplicate_anchors", "src/slug.js", "feature",
        ("Two `## Usage` headings in one file: GitHub anchors the second as `#usage-1`, and we report that link broken.",
         "Support GitHub's numbering of repeated headings (`-1`, `-2`, ...) in `anchors`.",
         "Repeated headings need numbered anchors, the way GitHub renders them."),
        "a link to `#usage-1` is broken although the file has two \"Usage\" headings",
        "`anchors` slugifies each heading on its own, so repeated headings share one anchor and the numbered "
        "ones GitHub generates never exist",
        r"export function anchors",
        "test/anchors.test.js", "repeated headings get numbered anchors",
        "import assert from \"node:assert/strict\";\nimport { test } from \"node:test\";\n"
        "import { anchors } from \"../src/slug.js\";\n\n"
        "test(\"repeated headings get numbered anchors\", () => {\n"
        "  assert.deepEqual(anchors([\"Usage\", \"Usage\", \"Usage\"]), [\"usage\", \"usage-1\", \"usage-2\"]);\n});\n",
        "  return headings.map((h) => slugify(h));\n",
        "  const seen = new Map();\n  return headings.map((h) => {\n    const slug = slugify(h);\n"
        "    const n = seen.get(slug) ?? 0;\n    seen.set(slug, n + 1);\n    return n === 0 ? slug : `${slug}-${n}`;\n  });\n",
        FAILURES['duplicate_anchors'],
        ("Write a test with three identical headings", "Number repeated slugs as `anchors` walks the headings",
         "Check `checkLinks` picks up the numbered anchors"),
        0, "mdlinks",
    ),
]
TASKS += GO_TASKS + JS_TASKS
BUGS = [t for t in TASKS if t.kind == "bug"]
