"""Claim consistency: a statement about a result shown earlier must agree with that result. Each case
is a conversation over the real fixture repository's real tool output (executed here, not written)."""

from __future__ import annotations

from factory.quality.claims import claim_errors
from factory.quality.validate import RecordValidator
from factory.sandbox.workspace import FIXTURE_REPO, Workspace

WS = Workspace(FIXTURE_REPO)
GROUNDED = {"grounding": {"workspace": FIXTURE_REPO.name, "tool_calls": 1}}


def convo(calls: list[tuple[str, dict]], answer: str, outputs: list[str] | None = None) -> dict:
    """user -> one assistant turn with ``calls`` -> their real results -> ``answer``."""
    tool_calls = [{"id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": a}}
                  for i, (n, a) in enumerate(calls)]
    outs = outputs or [WS.execute(n, a).output for n, a in calls]
    return {"category": "agentic", "subcategory": "t", "meta": dict(GROUNDED),
            "messages": [{"role": "user", "content": "Look into it."},
                         {"role": "assistant", "tool_calls": tool_calls},
                         *[{"role": "tool", "tool_call_id": f"call_{i}", "name": n, "content": o}
                           for i, ((n, _), o) in enumerate(zip(calls, outs))],
                         {"role": "assistant", "content": answer}]}


GREP = ("grep", {"pattern": "def apply_discount", "output_mode": "content"})


def test_saying_nothing_matches_after_a_search_with_hits_is_a_contradiction() -> None:
    # The case a reader found in the main job: the grep shows pricing.py:21, the answer denies it.
    out = WS.execute(*GREP).output
    assert out.startswith("src/shoplite/pricing.py:21:def apply_discount")
    errors = claim_errors(convo([GREP], "- Nothing matches `def apply_discount`."), WS)
    assert errors == ["messages[3]: claim search: says nothing matches `def apply_discount`, but the grep "
                      "result shows 1 hit(s)"]
    assert claim_errors(convo([GREP], "`def apply_discount` occurs on 1 line in `src/shoplite/pricing.py`."), WS) == []


def test_hit_line_and_file_counts_must_match_the_result() -> None:
    grep = ("grep", {"pattern": r"\bcents\b", "output_mode": "content"})
    rows = [ln for ln in WS.execute(*grep).output.splitlines() if ln and not ln.startswith("...")]
    assert len(rows) > 1
    assert claim_errors(convo([grep], f"`\\bcents\\b` occurs on {len(rows)} lines."), WS) == []
    wrong = claim_errors(convo([grep], f"`\\bcents\\b` occurs on {len(rows) + 2} lines."), WS)
    assert len(wrong) == 1 and f"shows {len(rows)} lines" in wrong[0]
    glob = ("glob", {"pattern": "tests/*.py"})
    n = len(WS.execute(*glob).output.splitlines())
    assert claim_errors(convo([glob], f"{n} files match `tests/*.py`."), WS) == []
    assert claim_errors(convo([glob], f"{n + 1} files match `tests/*.py`."), WS) != []
    # A search that really found nothing may be called empty.
    empty = ("grep", {"pattern": "no_such_name_anywhere", "output_mode": "content"})
    assert claim_errors(convo([empty], "Nothing matches `no_such_name_anywhere`."), WS) == []


def test_file_lengths_names_and_line_ranges() -> None:
    read = ("read", {"file_path": "src/shoplite/pricing.py"})
    lines = len(WS.text("src/shoplite/pricing.py").splitlines())
    ok = f"`src/shoplite/pricing.py` ({lines} lines) defines `apply_discount`."
    assert claim_errors(convo([read], ok), WS) == []
    assert "has 99 lines" in claim_errors(convo([read], "`src/shoplite/pricing.py` (99 lines) is short."), WS)[0]
    invented = claim_errors(convo([read], "`src/shoplite/pricing.py` defines `refund_everything`."), WS)
    assert invented and "refund_everything" in invented[0]
    window = ("read", {"file_path": "src/shoplite/pricing.py", "offset": 19, "limit": 4})
    assert claim_errors(convo([window], "Lines 19-22 of `src/shoplite/pricing.py` hold `apply_discount`."), WS) == []
    past = claim_errors(convo([window], "Lines 19-30 of `src/shoplite/pricing.py` hold `apply_discount`."), WS)
    assert past and "line 23 was never shown" in past[0]


def test_definitions_and_cited_locations() -> None:
    goto = ("goto_definition", {"symbol": "apply_discount"})
    assert claim_errors(convo([goto], "`apply_discount` is defined at `src/shoplite/pricing.py:21`."), WS) == []
    wrong = claim_errors(convo([goto], "`apply_discount` is defined at `src/shoplite/pricing.py:3`."), WS)
    assert wrong and "does not name it" in wrong[0]
    assert claim_errors(convo([goto], "See `src/shoplite/pricing.py:900`."), WS)[0].endswith("lines)")


def test_test_runs_exit_codes_and_doubled_keywords() -> None:
    bash = ("bash", {"command": "python -m pytest -q tests/test_cart.py"})
    failed = "F.\n1 failed, 1 passed in 0.05s"
    passed = "..\n2 passed in 0.04s"
    assert claim_errors(convo([bash], "Failure confirmed: the test fails as expected.", [failed]), WS) == []
    assert "right after a test run that failed" in claim_errors(
        convo([bash], "All tests pass now.", [failed]), WS)[0]
    assert "right after a test run that passed" in claim_errors(
        convo([bash], "It fails as expected.", [passed]), WS)[0]
    assert "says 3 passed" in claim_errors(convo([bash], "3 passed.", [passed]), WS)[0]
    make = ("bash", {"command": "make build"})
    assert "exit code 0" in claim_errors(convo([make], "It exited with code 0.", ["exit code: 2"]), WS)[0]
    assert claim_errors(convo([make], "It exited with code 2.", ["exit code: 2"]), WS) == []
    assert "class class" in claim_errors(convo([bash], "Line 12: class class OutOfStock.", [passed]), WS)[0]


def test_go_and_node_test_runs_are_read_as_their_runners_print_them() -> None:
    # the outputs of the Go and Node fixture tasks (tests/sandbox/test_tasks.py checks them against real runs)
    from factory.sandbox.tasks import TASKS

    for task in (next(t for t in TASKS if t.repo == repo) for repo in ("ratelimit", "mdlinks")):
        run = ("bash", {"command": task.fixture.test_commands(task.test_file, task.test_name)[0]})
        assert claim_errors(convo([run], "It fails as expected.", [task.fail_output]), WS) == [], task.key
        assert "right after a test run that failed" in claim_errors(
            convo([run], "The test passes now.", [task.fail_output]), WS)[0], task.key
        assert "right after a test run that passed" in claim_errors(
            convo([run], "It fails as expected.", [task.pass_output]), WS)[0], task.key
        assert claim_errors(convo([run], "The test passes now.", [task.pass_output]), WS) == [], task.key


def test_the_validator_rejects_a_contradiction_with_its_reason() -> None:
    tools = [{"type": "function", "function": {"name": "grep", "description": "Search.",
              "parameters": {"type": "object", "properties": {"pattern": {"type": "string"},
                                                              "output_mode": {"type": "string"}}}}}]
    bad = {**convo([GREP], "Nothing matches `def apply_discount`."), "tools": tools}
    errors = RecordValidator().check(bad)
    assert len(errors) == 1 and errors[0].startswith("messages[3]: claim search:")
    assert RecordValidator(semantic=False).check(bad) == []


def test_tools_the_assistant_says_it_has_must_be_offered() -> None:
    rec = {"tools": [{"type": "function", "function": {"name": "ls"}}, {"type": "function", "function": {"name": "read_file"}}],
           "messages": [{"role": "user", "content": "Run the tests."},
                        {"role": "assistant", "content": "I can't run commands: the tools I have are `ls` and `bash`."}]}
    assert claim_errors(rec) == ["messages[1]: claim tools: says it has `bash`, which the record does not offer"]
    rec["messages"][1]["content"] = "I can't run commands: the tools I have are `ls` and `read_file`."
    assert claim_errors(rec) == []
