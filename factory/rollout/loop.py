"""The rollout loop: a model works on a task in its own sandboxed copy of a repository.

Each turn is one engine request (:meth:`Engine.ask`): the rollout spec as system prompt, the tool
set's executable tools as native tools, the conversation so far. Every call the model makes is
executed in the sandbox and its real result goes back; when the model answers in prose, a simulated
user replies (a question gets one of the blueprint's hidden facts, or "no more detail"; scripted
follow-ups come after the first answer) or the rollout ends. Turn limits and the run's budget end
it too.

Resuming: an answered turn is a cache hit, and the tool results after it are kept in the ledger
under that turn's key, so a rerun re-executes the calls (to rebuild the copy) but sends the model
exactly the results it saw before; no completed turn is paid for twice.

Then the stages, each with its own pass rate (:mod:`factory.rollout.verify`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from factory.llm.engine import Engine
from factory.llm.native import AssistantTurn, function_specs
from factory.llm.provider import LLMRequest
from factory.rollout.blueprints import Blueprint
from factory.rollout.sandbox import Limits, content_of, open_sandbox
from factory.rollout.tools import SHELL_TOOLS, SandboxTools, parse_arguments, write_inside

logger = logging.getLogger(__name__)


@dataclass
class Settings:
    max_turns: int = 24  # model turns per rollout
    max_user_turns: int = 3  # simulated-user replies after the first prompt
    max_tokens: int = 4096
    temperature: float = 0.0
    samples: int = 1  # rollouts per task (different salts; with a temperature, different trajectories)
    # Rollouts at once, each in its own sandbox; 0: twice the engine's requests at once. More rollouts
    # than request places keep the places busy while tools run and while a finished rollout's place
    # waits for the next one's first turn. The requests of the rollouts begun first go first, so
    # those finish at full speed and the others fill the gaps.
    sandboxes: int = 0
    limits: Limits = field(default_factory=Limits)
    user: str = "scripted"  # scripted | llm
    isolation: str = "auto"


def rollouts_at_once(settings: Settings, requests_at_once: int) -> int:
    """``settings.sandboxes``, or twice the engine's requests at once."""
    return settings.sandboxes or 2 * requests_at_once


def _diverged(log: CallLog, ok: bool, output: str) -> bool:
    """A re-executed call disagrees with its recorded result: it failed where it passed (or the reverse),
    or a file tool's output differs (a command's output may differ in timings, so only its status counts)."""
    if log.ok != ok:
        return True
    return log.name not in SHELL_TOOLS and log.output != output


@dataclass
class CallLog:
    name: str
    arguments: Any  # dict when valid JSON, else the raw text
    ok: bool
    output: str
    refused: bool = False
    malformed: str = ""  # why the arguments were not a JSON object
    unknown: bool = False  # a tool that was not offered


@dataclass
class Rollout:
    task: Blueprint
    sample: int
    order: int = 0  # the rollouts begun before it in this run
    messages: list[dict[str, Any]] = field(default_factory=list)  # OpenAI chat form, arguments as sent
    calls: list[CallLog] = field(default_factory=list)
    status: str = "running"  # answered | turn_limit | rejected | stopped | error | diverged
    reason: str = ""
    turns: int = 0
    user_turns: int = 0
    follow_ups_sent: int = 0
    cached_turns: int = 0
    cost: float = 0.0
    diff: str = ""
    changed: list[str] = field(default_factory=list)
    tampered: list[str] = field(default_factory=list)  # test files or test configuration the rollout changed
    verify_output: str = ""
    verify_passed: bool | None = None
    isolation: str = ""
    setup_seconds: float = 0.0
    # time in the sandbox's own work (set-up, tool calls, verification, clean-up), measured in the
    # worker thread that ran it
    tool_seconds: float = 0.0
    # the part of it that no model turn waited for: the set-up (done while the first turn is asked)
    # and the clean-up (after the rollout returned)
    overlapped_seconds: float = 0.0

    @property
    def final_answer(self) -> str:
        for m in reversed(self.messages):
            if m["role"] == "assistant" and not m.get("tool_calls") and m.get("content"):
                return m["content"]
        return ""


VERIFY_TIMEOUT = 300.0
# Files that change how a test suite runs (a conftest can skip the hidden test, addopts can deselect it).
TEST_CONFIG = {"conftest.py", "pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml", "go.mod", "Cargo.toml",
               "package.json", "jest.config.js", "vitest.config.ts"}


class SimulatedUser(BaseModel):
    """The simulated user's next message, or ``done`` when the assistant finished the task."""

    reply: str = ""
    done: bool = False


_QUESTION = re.compile(r"\?\s*$|\b(?:should I|do you want|would you like|which (?:one|do you)|can you (?:tell|confirm))\b",
                       re.IGNORECASE | re.MULTILINE)


def asks_user(text: str) -> bool:
    """The assistant's prose ends its turn with a question for the user."""
    tail = text.strip().split("\n\n")[-1]
    return bool(_QUESTION.search(tail))


def _questions(text: str) -> str:
    """The sentences of ``text`` that ask something."""
    sentences = re.split(r"(?<=[.!?])\s+|\n+", text.strip())
    return " ".join(x for x in sentences if x.rstrip().endswith("?") or _QUESTION.search(x))


def scripted_reply(task: Blueprint, text: str, rollout: Rollout, told: set[int]) -> str | None:
    """The scripted user's answer to the assistant's prose turn, or None: the rollout ends."""
    if asks_user(text):
        question = _questions(text)
        for i, fact in enumerate(task.hidden):
            if i not in told and fact.matches(question):
                told.add(i)
                return fact.answer
        return "I don't have more detail than that -- use your judgement and go ahead."
    if rollout.follow_ups_sent < len(task.follow_ups):
        rollout.follow_ups_sent += 1
        return task.follow_ups[rollout.follow_ups_sent - 1]
    return None


USER_SYSTEM = """You play a developer who asked a coding assistant for help. Stay in character and write only
the developer's next message. Your request was:

{prompt}

What you know but have not said (reveal a fact only when the assistant asks about it):
{facts}

If the assistant's last message asks you something, answer it briefly (say you don't know if no fact covers
it). If it reports the task done or gives its answer without asking anything, set done to true and reply
with nothing."""


def user_request(task: Blueprint, messages: list[dict[str, Any]], sample: int,
                 priority: tuple[int, ...] = ()) -> LLMRequest:
    facts = "\n".join(f"- {f.answer}" for f in task.hidden) or "- nothing beyond the request"
    seen = [{"role": "user" if m["role"] == "assistant" else "assistant", "content": m["content"]}
            for m in messages if m["role"] in ("assistant", "user") and m.get("content") and not m.get("tool_calls")]
    return LLMRequest([{"role": "system", "content": USER_SYSTEM.format(prompt=task.prompt, facts=facts)},
                       *seen[1:]], SimulatedUser, max_tokens=512, salt=f"rollout-user:{task.key}:{sample}",
                      priority=priority)


class Runner:
    """Runs rollouts of many tasks concurrently through one engine."""

    def __init__(self, engine: Engine, system: str, tools: list[dict[str, Any]], settings: Settings,
                 on_done: Callable[[Rollout], None] | None = None) -> None:
        self.engine, self.system, self.settings = engine, system, settings
        self.tools = tools  # OpenAI function schemas, only the executable ones
        self.functions = function_specs(tools)
        self.offered = {t["function"]["name"] for t in tools}
        self.on_done = on_done
        self.width = rollouts_at_once(settings, engine.settings.max_concurrency)
        # Two pools. Work that mostly waits on processes (set-up, commands, verification, clean-up)
        # gets a thread per rollout. Python work (the file tools, judging) gets a few: more threads
        # running Python only fight for the interpreter lock, and the event loop that drives every
        # rollout then waits for it after each socket or ledger call (measured in bench/bench_rollout.py:
        # with 32 such threads on 2 cores a model turn took 225 ms on average for 200 ms of model
        # latency, and the ledger held the loop 2.1 s; with 4, 215 ms and 0.9 s).
        self.pool = ThreadPoolExecutor(self.width, thread_name_prefix="rollout")
        self.cpu = ThreadPoolExecutor(min(self.width, max(4, 2 * (os.cpu_count() or 1))),
                                      thread_name_prefix="rollout-py")
        self._started = 0  # rollouts begun: the order in each one's request priority

    async def run_all(self, jobs: list[tuple[Blueprint, int]]) -> list[Rollout]:
        gate = asyncio.Semaphore(self.width)

        async def one(task: Blueprint, sample: int) -> Rollout:
            async with gate:
                rollout = await self.run_one(task, sample)
            if self.on_done is not None:  # judging a rollout is CPU work: not in the loop the others share
                await self._thread(self.on_done, rollout, pool=self.cpu)
            return rollout

        try:
            return list(await asyncio.gather(*(one(t, s) for t, s in jobs)))
        finally:
            self.pool.shutdown(wait=True)  # the sandboxes still closing too
            self.cpu.shutdown(wait=True)

    async def _thread(self, fn: Callable[..., Any], *args: Any, pool: ThreadPoolExecutor | None = None) -> Any:
        return await asyncio.get_running_loop().run_in_executor(pool or self.pool, fn, *args)

    async def _sandbox(self, r: Rollout, fn: Callable[..., Any], *args: Any, overlapped: bool = False,
                       pool: ThreadPoolExecutor | None = None) -> Any:
        """``fn`` in a worker thread, its running time (not its wait for a thread) added to the rollout's."""
        def timed() -> Any:
            start = time.perf_counter()
            try:
                return fn(*args)
            finally:
                _took(r, time.perf_counter() - start, overlapped)
        return await self._thread(timed, pool=pool)

    async def run_one(self, task: Blueprint, sample: int) -> Rollout:
        """One rollout. Its sandbox is set up in a worker thread while its first model turn is asked
        (that turn needs only the prompt), and removed after the rollout has returned, while the next
        one starts. Should the set-up fail, the rollout is an error whatever the model said (that
        first turn stays in the ledger for a rerun). Whoever is last -- the set-up or the rollout,
        even a cancelled one -- removes the sandbox, exactly once."""
        r = Rollout(task, sample, order=self._started)
        self._started += 1
        prep = _Preparation()
        ready = asyncio.ensure_future(self._thread(_prepare, r, task, self.settings, prep))
        try:
            await self._converse(r, ready, prep)
            if r.status in ("answered", "running"):  # running: it stopped for a set-up that failed
                await _wait(r, ready)
                if prep.error:
                    r.status, r.reason = "error", prep.error
                elif r.status == "answered":
                    await self._sandbox(r, _in_use(prep, verify_outcome), r, prep.box, prep.tools)
        except Exception as exc:  # noqa: BLE001 - one rollout's failure must not stop the others
            r.status, r.reason = "error", f"{type(exc).__name__}: {exc}"
        finally:
            with prep.lock:
                prep.abandoned = True
                box, prep.box = prep.box, None
            if box is not None:  # after any tool call still running in a thread (a cancelled run)
                try:
                    self.pool.submit(_close, r, box, prep)
                except RuntimeError:  # the pool is shutting down: a thread of its own, not the event loop
                    threading.Thread(target=_close, args=(r, box, prep), name="rollout-close").start()
        return r

    async def _converse(self, r: Rollout, ready: asyncio.Future, prep: _Preparation) -> None:
        s, task = self.settings, r.task
        r.messages = [{"role": "system", "content": self.system}, {"role": "user", "content": task.prompt}]
        told: set[int] = set()
        salt = f"rollout:{task.key}:{r.sample}"
        while True:
            if ready.done() and prep.error:  # the rollout is an error already: ask for nothing more
                return
            if r.turns >= s.max_turns:
                r.status, r.reason = "turn_limit", f"no final answer after {s.max_turns} model turns"
                return
            req = LLMRequest(list(r.messages), AssistantTurn, max_tokens=s.max_tokens, temperature=s.temperature,
                             salt=salt, tools=self.functions, tag=(task.key, r.sample, r.turns),
                             priority=(r.order,))
            result = await self.engine.ask(req)
            if result is None:
                r.status, r.reason = "stopped", str(self.engine.stopping or "the run stopped")
                return
            r.turns += 1
            r.cached_turns += int(result.cached)
            r.cost += result.cost
            if result.status != "ok" or not isinstance(result.output, AssistantTurn):
                r.status = "rejected" if result.status == "rejected" else "stopped"
                r.reason = f"model turn {r.turns}: {result.reason or result.status}"
                return
            turn = result.output
            if not turn.calls and not turn.content.strip():
                r.status, r.reason = "rejected", f"model turn {r.turns}: an empty answer"
                return
            r.messages.append(turn.message())
            if turn.calls:
                await _wait(r, ready)
                if prep.error or prep.tools is None:
                    return
                await self._execute(r, prep, turn, result.key, result.cached)
                if r.status == "diverged":
                    return
                continue
            if ready.done() and prep.error:  # no simulated user's reply either
                return
            reply = await self._user_reply(r, turn.content, told)
            if reply is None:
                r.status = "answered"
                return
            r.user_turns += 1
            r.messages.append({"role": "user", "content": reply})

    async def _user_reply(self, r: Rollout, text: str, told: set[int]) -> str | None:
        if r.user_turns >= self.settings.max_user_turns:
            return None
        if self.settings.user == "llm":
            result = await self.engine.ask(user_request(r.task, r.messages, r.sample, (r.order,)))
            if result is None or result.status != "ok" or not isinstance(result.output, SimulatedUser):
                return None
            r.cost += result.cost
            out = result.output
            return None if out.done or not out.reply.strip() else out.reply.strip()
        return scripted_reply(r.task, text, r, told)

    async def _execute(self, r: Rollout, prep: _Preparation, turn: AssistantTurn, key: str, cached: bool) -> None:
        # results recorded by an earlier run: only an answer from the ledger can have them
        ledger = self.engine.ledger
        recorded = await self.engine.ledger_call(ledger.tool_results, key) if cached else None
        commands = any(call.name in SHELL_TOOLS for call in turn.calls)  # they wait on a process: a thread each
        logs: list[CallLog] = await self._sandbox(r, _in_use(prep, self._run_calls), prep.tools, turn,
                                                  pool=None if commands else self.cpu)
        if recorded is not None and len(recorded) == len(logs):
            for log, (ok, output) in zip(logs, recorded):
                if r.status == "running" and _diverged(log, bool(ok), str(output)):
                    # the repository is not what the first run saw: the recorded turns no longer fit it
                    r.status = "diverged"
                    r.reason = (f"resumed, but `{log.name}` now gives another result than in the first run (the "
                                "repository changed since); this rollout is left out -- rerun it with a new ledger")
                log.ok, log.output = bool(ok), str(output)  # what the model saw the first time
        else:
            await self.engine.ledger_call(ledger.put_tool_results, key, [[log.ok, log.output] for log in logs])
        for call, log in zip(turn.calls, logs):
            r.calls.append(log)
            msg: dict[str, Any] = {"role": "tool", "tool_call_id": call.id, "content": log.output}
            if not log.ok:
                msg["is_error"] = True
            r.messages.append(msg)

    def _run_calls(self, tools: SandboxTools, turn: AssistantTurn) -> list[CallLog]:
        logs = []
        for call in turn.calls:
            args, why = parse_arguments(call.arguments)
            if args is None:
                logs.append(CallLog(call.name, call.arguments, False, f"Error: {why}; send the arguments as a JSON "
                                    "object matching the tool's schema", malformed=why))
            elif call.name not in self.offered:
                logs.append(CallLog(call.name, args, False, f"Error: there is no tool named '{call.name}' "
                                    f"(tools: {', '.join(sorted(self.offered))})", unknown=True))
            else:
                try:
                    done = tools.run(call.name, args)
                except Exception as exc:  # noqa: BLE001 - one call's failure is its result, never the run's
                    logs.append(CallLog(call.name, args, False, f"Error: {type(exc).__name__}: {exc}"))
                    continue
                logs.append(CallLog(call.name, args, done.ok, done.output, done.refused))
        return logs


@dataclass
class _Preparation:
    """A rollout's sandbox as its set-up thread leaves it: the sandbox and its tools, or why not."""

    box: Any = None
    tools: SandboxTools | None = None
    error: str = ""
    abandoned: bool = False  # the rollout has ended: a sandbox finished now is removed at once
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_use: threading.Lock = field(default_factory=threading.Lock)  # held by tool calls and verification


def _in_use(prep: _Preparation, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` holding the sandbox: its removal waits for it (a cancelled run's call may still be going)."""
    def held(*args: Any) -> Any:
        with prep.in_use:
            return fn(*args)
    return held


def _prepare(r: Rollout, task: Blueprint, settings: Settings, prep: _Preparation) -> None:
    """In a worker thread: the sandbox, then the task's set-up in it."""
    if prep.abandoned:  # the rollout ended before this even started
        return
    start = time.perf_counter()
    try:
        try:
            box = open_sandbox(task.repo, settings.limits, None, settings.isolation)
        except Exception as exc:  # noqa: BLE001 - the rollout's error
            prep.error = f"cannot set up the sandbox: {exc}" if isinstance(exc, OSError) else \
                f"cannot set up the sandbox: {type(exc).__name__}: {exc}"
            return
        r.isolation, r.setup_seconds = box.isolation, box.setup_seconds
        tools: SandboxTools | None = None
        try:
            tools = SandboxTools(box)
            error = _set_up(box, tools, task)
        except Exception as exc:  # noqa: BLE001 - the rollout's error; the sandbox is still removed
            error = f"{type(exc).__name__}: {exc}"
        with prep.lock:
            if not prep.abandoned:
                prep.box, prep.tools, prep.error = box, tools, error
                return
        _remove(box)  # the rollout ended (it was cancelled) before its sandbox was ready
    finally:
        _took(r, time.perf_counter() - start, overlapped=True)


async def _wait(r: Rollout, ready: asyncio.Future) -> None:
    """Wait for the set-up (never cancelling it); time spent waiting was not overlapped after all."""
    start = time.perf_counter()
    await asyncio.shield(ready)
    r.overlapped_seconds = max(0.0, r.overlapped_seconds - (time.perf_counter() - start))


def _close(r: Rollout, box: Any, prep: _Preparation) -> None:
    start = time.perf_counter()
    with prep.in_use:
        _remove(box)
    _took(r, time.perf_counter() - start, overlapped=True)


def _remove(box: Any) -> None:
    try:
        box.close()
    except Exception as exc:  # noqa: BLE001 - the rollout is done; a copy left behind is removed by the next run
        logger.warning("could not remove the sandbox %s: %s: %s", box.base, type(exc).__name__, exc)


def _took(r: Rollout, seconds: float, overlapped: bool) -> None:
    r.tool_seconds += seconds
    if overlapped:
        r.overlapped_seconds += seconds


def verify_outcome(r: Rollout, box: Any, tools: SandboxTools) -> None:
    """Record the rollout's changes, then run the task's check on the copy."""
    changes = box.changes()
    r.changed = [f"{c.kind} {c.path}" for c in changes]
    r.diff = box.diff()
    task = r.task
    for c in changes:
        if c.path.rsplit("/", 1)[-1] not in TEST_CONFIG and c.path not in task.verify_files:
            continue
        if c.path in task.setup and c.kind != "deleted":
            try:
                if content_of(box.root / c.path) == task.setup[c.path].encode("utf-8"):
                    continue  # as the task wrote it
            except (OSError, UnicodeDecodeError):
                pass
        r.tampered.append(c.path)
    if task.verify:
        for rel, text in task.verify_files.items():
            write_inside(box.root, rel, text.encode("utf-8"))
        result = box.run(task.verify, VERIFY_TIMEOUT)
        r.verify_passed = result.ok
        r.verify_output = result.text()[-4000:]


def _set_up(box: Any, tools: SandboxTools, task: Blueprint) -> str:
    """Write the task's setup files and run its setup commands; '' or why it failed."""
    for rel, text in task.setup.items():
        write_inside(box.root, rel, text.encode("utf-8"))
    for command in task.setup_commands:
        result = box.run(command)
        if not result.ok:
            return f"setup command failed: {command}: {result.text()[-500:]}"
    tools.refresh()
    return ""
