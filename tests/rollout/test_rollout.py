"""Rollouts through the real SDKs against a scripted model on loopback: real tool results, real tests
in the sandbox, the stages, the outputs, resuming after a kill."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from factory.config import FactoryConfig
from factory.generate.specs import load_spec
from factory.host import default_registry
from factory.llm.session import EngineSession
from factory.rollout.blueprints import Blueprint, Fact, builtin_blueprints
from factory.rollout.loop import Settings
from factory.rollout.run import run_rollouts
from factory.rollout.sandbox import Limits
from factory.sandbox.workspace import FIXTURE_REPO
from factory.testing.agent_scripts import RELEASE_OLD, ScriptedAgent, call, release_fix, say, task_fix
from factory.testing.loopback import LoopbackServer
from tests.helpers.cli import ROOT, factory_cli

SPEC = ROOT / "agents" / "rollout.md"


def _task(tag: str, **kw) -> Blueprint:
    bp = next(b for b in builtin_blueprints() if b.key == "release_overflow")
    bp.prompt = f"[{tag}] {bp.prompt}"
    for k, v in kw.items():
        setattr(bp, k, v)
    return bp


def _run(server: LoopbackServer, tmp_path: Path, tasks: list[Blueprint], provider: str = "openai-compatible",
         max_cost: float | None = None, **settings):
    cfg = FactoryConfig.model_validate({"prices": {"scripted-agent": {"input": 1000.0, "output": 1000.0}}})
    cfg = cfg.model_copy(update={"engine": cfg.engine.model_copy(update={
        "ledger": tmp_path / "ledger.sqlite", "workers": 1})})
    url = server.openai_url if provider == "openai-compatible" else server.anthropic_url
    session = EngineSession.from_config(cfg, provider, "scripted-agent", url, max_cost=max_cost)
    settings.setdefault("limits", Limits(timeout=20))
    try:
        return run_rollouts(session, tasks, load_spec(SPEC), default_registry().toolsets["claude_code"],
                            Settings(**settings), tmp_path / "rollouts.jsonl")
    finally:
        session.close()


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.parametrize("provider", ["openai-compatible", "anthropic"])
def test_a_successful_rollout_reads_edits_tests_and_becomes_a_record(provider: str, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "loopback")
    with LoopbackServer(ScriptedAgent({"fix": release_fix()})) as srv:
        outcome = _run(srv, tmp_path, [_task("fix")], provider)
        bodies = [r.body for r in srv.requests]
    rep = outcome.report
    assert rep["passed"] == 1 and rep["stage_pass_rate"] == {s: 1.0 for s in rep["stage_pass_rate"]}, rep
    [record] = _lines(tmp_path / "rollouts.jsonl")
    assert record["label"] is True and record["category"] == "rollout"
    msgs = record["messages"]
    # the read result is the real file, the test runs are real pytest output, failing then passing
    read = next(m for i, m in enumerate(msgs) if m["role"] == "tool" and msgs[i - 1]["tool_calls"][0]["function"]
                ["name"] == "read")
    assert "def release(self, sku: str, quantity: int)" in read["content"]
    runs = [m["content"] for m in msgs if m["role"] == "tool" and ("passed" in m["content"] or "failed" in m["content"])]
    assert "1 failed" in runs[0] and "DID NOT RAISE" in runs[0]
    assert "failed" not in runs[-1] and "passed" in runs[-1]
    meta = record["meta"]["rollout"]
    assert meta["verify_passed"] is True and "modified src/shoplite/inventory.py" in meta["changed"]
    assert "added tests/test_inventory.py" in meta["changed"]
    assert all(isinstance(c["function"]["arguments"], dict) for m in msgs for c in m.get("tool_calls") or [])
    # the tools went over the wire as native tools, the results as tool messages / tool_result blocks
    last = bodies[-1]
    if provider == "anthropic":
        assert {t["name"] for t in last["tools"]} == {"read", "write", "edit", "bash", "glob", "grep"}
        assert any(b.get("type") == "tool_result" for m in last["messages"] if isinstance(m["content"], list)
                   for b in m["content"])
    else:
        assert {t["function"]["name"] for t in last["tools"]} == {"read", "write", "edit", "bash", "glob", "grep"}
        assert any(m["role"] == "tool" for m in last["messages"])
    # the fixture repository itself is untouched
    assert RELEASE_OLD in (FIXTURE_REPO / "src/shoplite/inventory.py").read_text()
    assert not (FIXTURE_REPO / "tests/test_inventory.py").exists()


@pytest.mark.parametrize("key", ["zero_count", "report_plural"])
def test_go_and_node_tasks_run_in_the_jail_with_their_own_test_runners(key: str, tmp_path: Path) -> None:
    # a Go and a Node.js fixture task: the model's test runs and the hidden acceptance test use `go test`
    # and `node --test` inside the jail; a model that changes nothing fails the acceptance test
    from factory.sandbox.tasks import TASKS

    task = next(t for t in TASKS if t.key == key)
    runner = task.fixture.runner
    if shutil.which(runner) is None:
        pytest.skip(f"{runner} is not installed (CI installs it)")
    blueprint = next(b for b in builtin_blueprints() if b.key == key)
    blueprint.prompt = f"[fix] {blueprint.prompt}"
    lazy = [call("glob", {"pattern": "**/*"}), say("I looked around; the code looks right to me.")]
    with LoopbackServer(ScriptedAgent({"fix": [task_fix(task), lazy]})) as srv:
        outcome = _run(srv, tmp_path, [blueprint], samples=2, limits=Limits(timeout=180))
    verdicts = sorted(outcome.verdicts, key=lambda v: not v.passed)
    assert [v.passed for v in verdicts] == [True, False], [v.reasons for v in verdicts]
    [record] = _lines(tmp_path / "rollouts.jsonl")
    runs = [m["content"] for m in record["messages"] if m["role"] == "tool"][1:]
    first = runs[1]  # the new test, before the edit: the runner's real failure
    assert all(line in first.splitlines() for line in task.failure.splitlines()), first
    assert record["meta"]["rollout"]["verify_passed"] is True
    assert f"modified {task.file}" in record["meta"]["rollout"]["changed"]
    assert any(r.startswith("outcome:") and "does not pass" in r for r in verdicts[1].reasons), verdicts[1].reasons


def test_a_passing_and_a_failing_rollout_of_one_task_make_a_preference_pair(tmp_path: Path) -> None:
    lazy = [call("read", {"file_path": "src/shoplite/inventory.py"}),
            say("`Inventory.release` looks fine to me; nothing to change.")]
    with LoopbackServer(ScriptedAgent({"fix": [release_fix(), lazy]})) as srv:
        outcome = _run(srv, tmp_path, [_task("fix")], samples=2)
    assert outcome.report["passed"] == 1 and outcome.report["failed"] == 1
    assert outcome.report["stage_pass_rate"]["outcome"] == 0.5
    [failed] = _lines(tmp_path / "rollouts.jsonl.failed.jsonl")
    assert failed["label"] is False
    assert any(r.startswith("outcome:") and "does not pass" in r for r in failed["meta"]["rollout"]["reasons"])
    [pair] = _lines(tmp_path / "rollouts.jsonl.pairs.jsonl")
    # the pair is the first assistant turn where the two differ, after the shared prompt: no tool results
    assert [m["role"] for m in pair["prompt"]] == ["system", "user"]
    assert [m["role"] for m in pair["chosen"]] == ["assistant"] == [m["role"] for m in pair["rejected"]]
    assert pair["chosen"][0]["tool_calls"][0]["function"]["name"] == "grep"
    assert pair["rejected"][0]["tool_calls"][0]["function"]["name"] == "read"
    assert pair["tools"]


def test_a_tool_error_followed_by_recovery_passes(tmp_path: Path) -> None:
    script = release_fix()
    wrong = call("edit", {"file_path": "src/shoplite/inventory.py", "old_string": "max(0, reserved - qty)",
                          "new_string": "x"})
    script = [*script[:4], wrong, *script[4:]]
    with LoopbackServer(ScriptedAgent({"fix": script})) as srv:
        outcome = _run(srv, tmp_path, [_task("fix")])
    assert outcome.report["passed"] == 1, outcome.report
    [record] = _lines(tmp_path / "rollouts.jsonl")
    errors = [m["content"] for m in record["messages"] if m["role"] == "tool" and m["content"].startswith("Error")]
    assert errors == ["Error: old_string was not found in src/shoplite/inventory.py"]
    assert record["meta"]["rollout"]["failed_calls"] == 2  # the wrong edit and the first, failing test run


def test_a_task_whose_set_up_fails_is_an_error_and_its_sandbox_is_removed(tmp_path: Path) -> None:
    import tempfile

    from factory.rollout.sandbox import SANDBOX_PREFIX

    mine = f"{SANDBOX_PREFIX}{os.getpid()}-"
    with LoopbackServer(ScriptedAgent({"setup": release_fix()})) as srv:
        outcome = _run(srv, tmp_path, [_task("setup", setup_commands=["false"])])
        asked = len(srv.requests)
    [verdict] = outcome.verdicts
    assert verdict.rollout.status == "error" and verdict.rollout.reason.startswith("setup command failed: false")
    assert not verdict.rollout.calls  # the model's calls never ran: the sandbox was not ready for them
    assert asked <= 1  # at most the first turn, asked while the sandbox was set up
    assert outcome.report["failed"] == 1 and outcome.report["passed"] == 0
    assert not [p for p in os.listdir(tempfile.gettempdir()) if p.startswith(mine)]


@pytest.mark.parametrize(("after", "script"), [
    (0.0, "fix"), (0.05, "fix"), (1.0, "fix"),  # set-ups still running, some done, all done
    (1.0, "sleep"),  # a command still running in a thread: the sandbox is removed once it ends
])
def test_a_cancelled_run_leaves_no_sandbox_behind(tmp_path: Path, after: float, script: str) -> None:
    import asyncio
    import tempfile

    from factory.rollout.loop import Runner
    from factory.rollout.run import executable_tools
    from factory.rollout.sandbox import SANDBOX_PREFIX

    mine = f"{SANDBOX_PREFIX}{os.getpid()}-"
    cfg = FactoryConfig()
    cfg = cfg.model_copy(update={"engine": cfg.engine.model_copy(update={"ledger": tmp_path / "l.sqlite", "workers": 1})})
    tools = executable_tools(default_registry().toolsets["claude_code"])
    scripts = {"fix": (release_fix(), 10.0), "sleep": ([call("bash", {"command": "sleep 3"}), say("slept")], 0.0)}
    turns, latency = scripts[script]
    with LoopbackServer(ScriptedAgent({"slow": turns}), latency=latency) as srv:
        session = EngineSession.from_config(cfg, "openai-compatible", "scripted-agent", srv.openai_url)

        async def main(engine) -> None:
            runner = Runner(engine, "system", tools, Settings(sandboxes=4, limits=Limits(timeout=20)))
            run = asyncio.ensure_future(runner.run_all([(_task("slow"), i) for i in range(4)]))
            await asyncio.sleep(after)
            run.cancel()
            with pytest.raises(asyncio.CancelledError):
                await run

        try:
            session.drive(main)
        finally:
            session.close()
    assert not [p for p in os.listdir(tempfile.gettempdir()) if p.startswith(mine)]


def test_more_rollouts_run_at_once_than_requests_and_the_first_begun_go_first(tmp_path: Path) -> None:
    """Two request places, four sandboxes (twice the places, the default): while one rollout runs
    its tools another's turn takes the place; the server never has more than two requests."""
    from factory.rollout.loop import Runner
    from factory.rollout.run import executable_tools

    cfg = FactoryConfig()
    cfg = cfg.model_copy(update={"engine": cfg.engine.model_copy(update={
        "ledger": tmp_path / "l.sqlite", "workers": 1, "max_concurrency": 2})})
    tools = executable_tools(default_registry().toolsets["claude_code"])
    script = [call("read", {"file_path": "README.md"}), call("glob", {"pattern": "src/**/*.py"}),
              say("`bearer_token` in `src/shoplite/auth.py` parses the header.")]
    tasks = [(Blueprint(key=f"q{i}", repo=FIXTURE_REPO, prompt=f"[q] Which function parses the bearer token? ({i})",
                        kind="explore", expect=[r"bearer_token"]), 0) for i in range(6)]
    finished: list[int] = []
    with LoopbackServer(ScriptedAgent({"q": script}), latency=0.2) as srv:
        session = EngineSession.from_config(cfg, "openai-compatible", "scripted-agent", srv.openai_url)

        async def main(engine):
            runner = Runner(engine, "system", tools, Settings(limits=Limits(timeout=20)),
                            on_done=lambda r: finished.append(int(r.task.key[1:])))
            rollouts = await runner.run_all(tasks)
            return runner.width, engine.gate.peak, rollouts

        try:
            width, peak, rollouts = session.drive(main)
        finally:
            session.close()
        log = [(int(r.body["messages"][1]["content"].rsplit("(", 1)[1].rstrip(")")), len(r.body["messages"]))
               for r in srv.requests]
    assert width == 4 and peak == 2
    assert all(r.status == "answered" for r in rollouts) and len(log) == 6 * 3
    # rollout 0's last turn is asked after the first turns of rollouts 0-3: four ran at once
    last_of_first = log.index((0, max(n for i, n in log if i == 0)))
    assert {i for i, n in log[:last_of_first] if n == 2} == {0, 1, 2, 3}
    assert set(finished[:2]) == {0, 1} and set(finished[-2:]) == {4, 5}  # the first begun finish first


def test_a_malformed_call_gets_an_error_and_fails_the_format_stage(tmp_path: Path) -> None:
    from factory.testing.wire import scripted_turn

    script = [scripted_turn("", [("read", '{"file_path": "src/shoplite/inventory.py"')]), *release_fix()[1:]]
    with LoopbackServer(ScriptedAgent({"fix": script})) as srv:
        outcome = _run(srv, tmp_path, [_task("fix")])
        first_result = next(m for m in srv.requests[1].body["messages"] if m["role"] == "tool")["content"]
    assert first_result.startswith("Error: the arguments are not valid JSON")
    rep = outcome.report
    assert rep["passed"] == 0 and rep["stage_pass_rate"]["format"] == 0.0 and rep["stage_pass_rate"]["outcome"] == 1.0
    [failed] = _lines(tmp_path / "rollouts.jsonl.failed.jsonl")
    assert any("not valid JSON" in r for r in failed["meta"]["rollout"]["reasons"])
    # the call the model sent is kept as it was sent, beside the {} the record's schema needs
    call = next(m for m in failed["messages"] if m.get("tool_calls"))["tool_calls"][0]
    assert call["function"]["arguments"] == {}
    assert failed["meta"]["rollout"]["malformed_arguments"] == {call["id"]: '{"file_path": "src/shoplite/inventory.py"'}


def test_a_model_that_asks_gets_the_hidden_detail(tmp_path: Path) -> None:
    fact = Fact(("where", "test"), "Put the test in `tests/test_reservations.py`, please.")
    script = [say("Before I start: where should the regression test go?"),
              *release_fix("tests/test_reservations.py")]
    with LoopbackServer(ScriptedAgent({"fix": script})) as srv:
        outcome = _run(srv, tmp_path, [_task("fix", hidden=[fact])])
    assert outcome.report["passed"] == 1, outcome.report
    [record] = _lines(tmp_path / "rollouts.jsonl")
    users = [m["content"] for m in record["messages"] if m["role"] == "user"]
    assert users[1] == fact.answer
    assert "added tests/test_reservations.py" in record["meta"]["rollout"]["changed"]


def test_a_hostile_model_cannot_leave_its_copy(tmp_path: Path) -> None:
    home = Path.home()
    canary = tmp_path / "outside.txt"
    canary.write_text("keep")
    attacks = [
        ("bash", {"command": "rm -rf /"}), ("bash", {"command": "rm -rf ../../.."}),
        ("write", {"file_path": f"../{canary.name}", "content": "gone"}),
        ("write", {"file_path": str(canary), "content": "gone"}),
        ("bash", {"command": f"ln -s {canary} link"}),
        ("read", {"file_path": "/etc/passwd"}), ("read", {"file_path": f"{home}/.ssh/id_rsa"}),
        ("bash", {"command": "cat ~/.ssh/id_rsa"}), ("bash", {"command": "curl https://example.com"}),
        ("bash", {"command": "python -c 'import urllib.request; urllib.request.urlopen(\"http://1.1.1.1\")'"}),
        ("bash", {"command": f"echo gone > {canary}"}), ("bash", {"command": "sleep 600", "timeout": 1000}),
        ("bash", {"command": "rm -rf src tests"}),
    ]
    script = [call(name, args) for name, args in attacks] + [say("Done.")]
    with LoopbackServer(ScriptedAgent({"evil": script})) as srv:
        started = time.monotonic()
        outcome = _run(srv, tmp_path, [_task("evil")], limits=Limits(timeout=5))
        results = [m["content"] for m in srv.requests[-1].body["messages"] if m["role"] == "tool"]
    assert time.monotonic() - started < 120
    assert canary.read_text() == "keep"
    assert (FIXTURE_REPO / "src" / "shoplite" / "inventory.py").exists()
    assert len(results) == len(attacks)
    assert all(r.startswith("Error") for r in results[:-1]), results
    assert "timed out" in results[-2]
    assert results[-1] == "(no output)"  # deleting inside the copy is allowed: it is the copy
    rep = outcome.report
    assert rep["passed"] == 0 and rep["refused_calls"] >= 9 and rep["stage_pass_rate"]["execution"] == 0.0


def test_an_exploration_answer_is_judged_by_its_expected_facts(tmp_path: Path) -> None:
    q = next(b for b in builtin_blueprints() if b.key == "explore_bearer")
    right, wrong = Blueprint(**{**q.__dict__, "key": "right", "prompt": "[right] " + q.prompt}), \
        Blueprint(**{**q.__dict__, "key": "wrong", "prompt": "[wrong] " + q.prompt})
    find = call("grep", {"pattern": "def bearer_token", "output_mode": "content"})
    scripts = {"right": [find, say("`bearer_token` in `src/shoplite/auth.py` parses it.")],
               "wrong": [find, say("The API module handles it somewhere.")]}
    with LoopbackServer(ScriptedAgent(scripts)) as srv:
        outcome = _run(srv, tmp_path, [right, wrong])
    by_key = {v.rollout.task.key: v for v in outcome.verdicts}
    assert by_key["right"].passed and not by_key["wrong"].passed
    assert any("does not match" in r for r in by_key["wrong"].reasons)


def test_builtin_questions_expect_what_the_fixture_says() -> None:
    text = "\n".join(p.read_text() for p in FIXTURE_REPO.rglob("*") if p.is_file() and p.suffix in
                     {".py", ".go", ".ts", ".rs", ".md"})
    import re

    questions = [b for b in builtin_blueprints() if b.kind == "explore"]
    assert len(questions) >= 4
    for q in questions:
        for pattern in q.expect:
            assert re.search(pattern, text), (q.key, pattern)
    tasks = [b for b in builtin_blueprints() if b.kind != "explore"]
    assert len(tasks) >= 10 and all(b.verify and b.verify_files for b in tasks)


def test_a_killed_run_resumes_without_sending_a_completed_turn_again(tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.yaml"
    tasks.write_text(
        "tasks:\n"
        f"  - key: release\n    repo: {FIXTURE_REPO}\n"
        "    prompt: \"[fix] Releasing more than is reserved should raise.\"\n"
        "    verify: python -m pytest -q\n")
    (tmp_path / "factory.toml").write_text('[engine]\nledger = "ledger.sqlite"\nworkers = 1\n')
    agent = ScriptedAgent({"fix": release_fix()})
    with LoopbackServer(agent, latency=0.3) as srv:
        args = [sys.executable, "-m", "factory", "rollout", "--tasks", str(tasks), "--provider", "openai-compatible",
                "--base-url", srv.openai_url, "--model", "scripted", "--out", str(tmp_path / "out.jsonl")]
        proc = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env={**os.environ, "COLUMNS": "200"})
        deadline = time.monotonic() + 60
        while sum(r.status == 200 for r in srv.requests) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        first = [r.body for r in srv.requests]
        assert not (tmp_path / "out.jsonl").exists()
        # fewer request places change nothing that is asked: the rerun resumes all the same (and runs
        # twice as many rollouts at once as it has places)
        done = factory_cli(*args[3:], "--concurrency", "2", cwd=tmp_path, check=True)
        second = [r.body for r in srv.requests[len(first):]]
    answered_before = len(first) - 1  # the last one may have been in flight when the process died
    sizes_before = {len(b["messages"]) for b in first[:answered_before]}
    assert not sizes_before & {len(b["messages"]) for b in second}, "a completed turn was sent again"
    assert len(first) + len(second) <= len(release_fix()) + 1
    [record] = _lines(tmp_path / "out.jsonl")
    assert record["label"] is True
    assert "1 passed" in done.stdout or "passed" in done.stdout
    report = json.loads((tmp_path / "out.jsonl.report.json").read_text())
    assert report["cached_turns"] >= answered_before - 1 and report["rollouts_at_once"] == 4


def test_an_llm_can_play_the_user_from_the_blueprint(tmp_path: Path) -> None:
    fact = Fact(("where",), "In `tests/test_reservations.py`.")
    agent = ScriptedAgent({"fix": [say("Where should the regression test go?"),
                                   *release_fix("tests/test_reservations.py")]})
    seen: list[dict] = []

    def responder(kind: str, body: dict):
        if any(t["function"]["name"] == "SimulatedUser" for t in body.get("tools") or []):
            seen.append(body)
            asked = "?" in body["messages"][-1]["content"]
            return {"reply": "Put it in tests/test_reservations.py." if asked else "", "done": not asked}
        return agent(kind, body)

    with LoopbackServer(responder) as srv:
        outcome = _run(srv, tmp_path, [_task("fix", hidden=[fact])], user="llm")
    assert outcome.report["passed"] == 1, outcome.report
    # the user model was given the request and the hidden fact, and saw the assistant's question
    assert fact.answer in seen[0]["messages"][0]["content"]
    assert seen[0]["messages"][-1]["content"] == "Where should the regression test go?"
    [record] = _lines(tmp_path / "rollouts.jsonl")
    assert [m["content"] for m in record["messages"] if m["role"] == "user"][1] == "Put it in tests/test_reservations.py."


def test_a_run_stopped_by_its_budget_writes_nothing_and_resumes_where_it_stopped(tmp_path: Path) -> None:
    with LoopbackServer(ScriptedAgent({"fix": release_fix()})) as srv:
        stopped = _run(srv, tmp_path, [_task("fix")], max_cost=5.0)  # $1000 per 1M tokens: a few turns
        sent_first = len(srv.requests)
        assert not stopped.written and "--max-cost" in stopped.report["stopped"]
        assert stopped.report["unfinished"] == 1 and stopped.report["passed"] == 0
        assert not (tmp_path / "rollouts.jsonl").exists() and (tmp_path / "rollouts.jsonl.report.json").exists()
        done = _run(srv, tmp_path, [_task("fix")], max_cost=100.0)
        sent_second = len(srv.requests) - sent_first
    assert 0 < sent_first < len(release_fix())
    assert done.written and done.report["passed"] == 1
    assert sent_first + sent_second == len(release_fix())  # no turn paid for twice
    assert done.report["cached_turns"] == sent_first


def test_a_resumed_rollout_whose_repository_changed_is_left_out_not_replayed(tmp_path: Path) -> None:
    # the first run stops on its budget after reading the file; the file then changes; the rerun
    # re-executes the recorded read, sees another result, and leaves the rollout out instead of
    # replaying turns that were answers to a file that is no longer there
    repo = tmp_path / "repo"
    shutil.copytree(_task("fix").repo, repo, ignore=shutil.ignore_patterns(".git"))
    task = _task("fix", repo=repo)
    with LoopbackServer(ScriptedAgent({"fix": release_fix()})) as srv:
        stopped = _run(srv, tmp_path, [task], max_cost=5.0)
        assert stopped.report["unfinished"] == 1
        inventory = repo / "src" / "shoplite" / "inventory.py"
        inventory.write_text(inventory.read_text() + "\n# changed between the runs\n")
        again = _run(srv, tmp_path, [task], max_cost=100.0)
    assert again.report["passed"] == 0 and again.report["status"].get("diverged") == 1, again.report
    assert not _lines(tmp_path / "rollouts.jsonl") and not _lines(tmp_path / "rollouts.jsonl.failed.jsonl")
