"""Refactors that say they keep behaviour, executed, whoever wrote them.

For a Python before/after pair labelled behaviour-preserving (``meta.refactor``), each top-level
function of the user's code that the answer keeps is called on both sides with inputs made from what
its body reads -- string keys it subscripts or ``.get``s, attributes it reads, what it iterates over and
how it uses the items, string methods it calls, arithmetic and ``len`` -- and every input the original
accepts must give the same result on the refactored side: the same return value (a generator is
consumed), the same printed output, the same changes to its arguments, no exception. Inputs the
original rejects are not compared: what a refactor does outside the original's domain is not part of
the claim.

The code is the record's own (an LLM's, an ingested one), so it never runs in the factory's process: a
batch of pairs runs in one Python process inside the rollout sandbox's jail (no network, nothing
writable outside a scratch copy, a time limit per pair and per batch). Where the system has no jail the
pairs are not run and the check says why.
"""

from __future__ import annotations

import ast
import hashlib
import json
import random
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factory.quality.codecheck import extract_blocks

INPUTS = 60  # input tuples tried per function
ACCEPTED = 24  # of them, at most this many that the original accepts are compared
CALL_SECONDS = 1.0  # per call of the code under probe (and per loading of it), inside the jail
BATCH_SECONDS = 120.0

_SCALARS: tuple[Any, ...] = (0, 1, 3, -2, 7, 2.5, "", "abc", "  Ab c ", "x-1", True, False, None)
_INTS: tuple[int, ...] = (0, 1, 3, 7, 12, 250, -4)
# The integers of the code being probed and their neighbours: where a comparison or a constant decides,
# an input must sit at the edge to tell ``<`` from ``<=`` (set per function by probe_calls).
_edges: list[int] = []


def _int(rng: random.Random) -> int:
    return rng.choice(_edges) if _edges and rng.random() < 0.5 else rng.choice(_INTS)
_STR_METHODS = {"strip", "lower", "upper", "split", "startswith", "endswith", "replace", "title", "lstrip",
                "rstrip", "casefold", "isdigit", "isalpha", "join", "format", "encode", "zfill", "find"}
_LIST_METHODS = {"append", "extend", "pop", "sort", "insert", "remove", "index", "count"}
_DICT_METHODS = {"items", "keys", "values", "get", "setdefault", "update"}


@dataclass
class _Use:
    """How a function's body uses one name."""

    keys: set[str] = field(default_factory=set)
    attrs: set[str] = field(default_factory=set)
    methods: set[str] = field(default_factory=set)
    iterated_as: set[str] = field(default_factory=set)  # loop variables bound to its items
    numeric: bool = False
    sized: bool = False
    container: bool = False  # looked up with a computed key, or tested with ``in``


def _uses(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, _Use]:
    uses: dict[str, _Use] = {}

    def use(name: str) -> _Use:
        return uses.setdefault(name, _Use())

    for node in ast.walk(fn):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                use(node.value.id).keys.add(key.value)
            elif not isinstance(key, ast.Constant | ast.Slice):
                use(node.value.id).container = True
        elif isinstance(node, ast.Compare) and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops):
            for right in node.comparators:
                if isinstance(right, ast.Name):
                    use(right.id).container = True
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            owner, method = node.func.value.id, node.func.attr
            use(owner).methods.add(method)
            if method in ("get", "setdefault") and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):
                use(owner).keys.add(node.args[0].value)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and isinstance(node.ctx, ast.Load):
            use(node.value.id).attrs.add(node.attr)
        elif isinstance(node, (ast.For, ast.comprehension)) and isinstance(node.iter, ast.Name) \
                and isinstance(node.target, ast.Name):
            use(node.iter.id).iterated_as.add(node.target.id)
        elif isinstance(node, ast.BinOp | ast.AugAssign):
            for side in (getattr(node, "left", None), getattr(node, "right", None), getattr(node, "target", None),
                         getattr(node, "value", None)):
                if isinstance(side, ast.Name) and isinstance(node.op, ast.Sub | ast.Mult | ast.Div | ast.FloorDiv | ast.Mod):
                    use(side.id).numeric = True
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len" \
                and node.args and isinstance(node.args[0], ast.Name):
            use(node.args[0].id).sized = True
    for u in uses.values():  # attributes that are called are methods, not data
        u.attrs -= u.methods
    return uses


_WORDS = ("", "abc", "  Ab c ", "x-1", "key", "name", "42")


def _split_union(hint: str) -> list[str]:
    """``A | B[C | D] | None`` -> ``[A, B[C | D], None]``; ``Optional[X]`` -> ``[X, None]``."""
    if hint.startswith("Optional[") and hint.endswith("]"):
        return [hint[len("Optional["):-1], "None"]
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(hint):
        depth += ch == "["
        depth -= ch == "]"
        if ch == "|" and depth == 0:
            parts.append(hint[start:i])
            start = i + 1
    return [*parts, hint[start:]]


def _filler(rng: random.Random) -> Any:
    """Values for one record's fields: all numbers, all text, or a mix (a record's fields are mostly of
    one kind, and a mix alone rarely gets past arithmetic)."""
    kind = rng.randrange(3)
    if kind == 0:
        return lambda: _int(rng)
    pool = ("", "abc", "  Ab c ", "x-1", "Zed") if kind == 1 else _SCALARS
    return lambda: rng.choice(pool)


def _typed(rng: random.Random, hint: str) -> Any:
    """A value for a parameter annotated ``hint`` (the annotation's text), or None for no idea."""
    base = hint.replace("typing.", "").split("[", 1)[0].strip().lower()
    if base in ("dict", "mapping", "mutablemapping"):
        return {rng.choice(_WORDS): rng.choice(_SCALARS[:10]) for _ in range(rng.randint(0, 4))}
    if base in ("list", "sequence", "iterable", "tuple", "set", "frozenset"):
        inner = hint.split("[", 1)[1].rstrip("]") if "[" in hint else ""
        return [_typed(rng, inner) if inner else rng.choice(_SCALARS) for _ in range(rng.randint(0, 6))]
    return {"str": lambda: rng.choice(_WORDS), "int": lambda: _int(rng),
            "float": lambda: rng.choice((0.0, 1.5, -2.25, 100.0)), "bool": lambda: rng.random() < 0.5}.get(
        base, lambda: rng.choice(_SCALARS))()


def _value(rng: random.Random, name: str, uses: dict[str, _Use], depth: int = 0,
           hint: str | None = None) -> Any:
    """A value for ``name``: of its annotation's type where it has one (inputs outside it are not part of
    the claim), shaped by how the body uses it -- the keys, attributes and items it reads."""
    u = uses.get(name)
    if hint and ("|" in hint or hint.startswith("Optional[")):  # a union: one of its members
        hint = rng.choice([m.strip() for m in _split_union(hint)])
        if hint == "None":
            return None
    base = hint.split("[", 1)[0].strip().lower() if hint else ""
    inner = hint.split("[", 1)[1].rsplit("]", 1)[0] if hint and "[" in hint else ""
    if base in ("dict", "mapping", "mutablemapping") and u and u.keys:
        value_hint = inner.split(",", 1)[1].strip() if "," in inner else ""
        fill = (lambda: _typed(rng, value_hint)) if value_hint else _filler(rng)
        return {k: fill() for k in sorted(u.keys) if rng.random() < 0.9}
    if base in ("list", "sequence", "iterable", "tuple", "set", "frozenset") and u and u.iterated_as and depth < 3:
        item = sorted(u.iterated_as)[0]
        return [_value(rng, item, uses, depth + 1, inner or None) for _ in range(rng.randint(0, 6))]
    if base in ("dict", "mapping", "list", "sequence", "iterable", "tuple", "set", "str", "int", "float", "bool",
                "bytes", "frozenset", "mutablemapping"):
        return _typed(rng, hint)
    # no annotation, or a class the code defines: what the body does with it
    if u is None or depth > 2:
        return rng.choice(_SCALARS)
    if u.iterated_as:
        item = sorted(u.iterated_as)[0]
        return [_value(rng, item, uses, depth + 1) for _ in range(rng.randint(0, 6))]
    if u.keys or u.methods & _DICT_METHODS:
        fill = _filler(rng)
        return {k: fill() for k in sorted(u.keys) if rng.random() < 0.9}
    if u.attrs:
        fill = _filler(rng)
        return {"__ns__": {a: fill() for a in sorted(u.attrs)}}
    if u.container:
        return rng.choice(({w: rng.choice(_SCALARS[:10]) for w in rng.sample(_WORDS, rng.randint(0, 4))},
                           [rng.choice(_SCALARS) for _ in range(rng.randint(0, 4))]))
    if u.methods & _STR_METHODS:
        return rng.choice(("", "abc", "  Ab c ", "x-1", "Hello, World", "a,b,,c", "42"))
    if u.methods & _LIST_METHODS or u.sized:
        return rng.choice(([], [1, 2, 3], [3, 1, 2], ["b", "a"], "abc", [0, -1, 5, 5]))
    if u.numeric:
        return _int(rng) if rng.random() < 0.8 else 2.5
    return rng.choice(_SCALARS)


def _hints(code: str) -> dict[tuple[str, str], str]:
    """(function, parameter) -> the parameter's annotation, as written."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return {}
    return {(fn.name, a.arg): ast.unparse(a.annotation) for fn in tree.body if isinstance(fn, ast.FunctionDef)
            for a in fn.args.posonlyargs + fn.args.args if a.annotation is not None}


def probe_calls(code: str, keep: set[str], rng: random.Random, also: str = "") -> list[list[Any]]:
    """``[function, [args...]]`` for each top-level function of ``code`` named in ``keep``, :data:`INPUTS`
    argument tuples each (JSON values; ``{"__ns__": {...}}`` is an object with those attributes). Parameter
    annotations of ``code`` or, failing that, of ``also`` (the refactored side) say what to pass."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    hints = {**_hints(also), **_hints(code)}
    out: list[list[Any]] = []
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef) or fn.name not in keep or fn.args.vararg or fn.args.kwarg:
            continue
        params = [a.arg for a in fn.args.posonlyargs + fn.args.args]
        if params[:1] in (["self"], ["cls"]):
            continue
        uses = _uses(fn)
        defaults = len(fn.args.defaults)
        _edges[:] = sorted({n + d for node in ast.walk(tree) if isinstance(node, ast.Constant)
                            and type(node.value) is int for n in (node.value,) for d in (-1, 0, 1)})
        for _ in range(INPUTS):
            args = [_value(rng, p, uses, hint=hints.get((fn.name, p))) for p in params]
            if defaults and rng.random() < 0.4:  # leave the defaults to the function: called twice, a shared
                args = args[:len(args) - rng.randint(1, defaults)]  # mutable default shows
            out.append([fn.name, args])
        _edges.clear()
    return out


@dataclass
class Pair:
    key: int  # the caller's index
    before: str
    after: str
    calls: list[list[Any]]


def python_pair(record: dict[str, Any]) -> tuple[str, str] | None:
    """The user's and the assistant's first Python blocks of a record labelled behaviour-preserving."""
    meta = record.get("meta") if isinstance(record.get("meta"), dict) else {}
    if meta.get("refactor") != "behaviour-preserving":
        return None
    msgs = record.get("messages") or []
    before = next((b for m in msgs if m.get("role") == "user" for b in extract_blocks(m.get("content") or "")), None)
    after = next((b for m in msgs if m.get("role") == "assistant" for b in extract_blocks(m.get("content") or "")),
                 None)
    if before is None or after is None or before.language != "python" or after.language != "python":
        return None
    return before.code, after.code


def make_pair(key: int, record: dict[str, Any]) -> Pair | None:
    from factory.quality.refactors import signatures

    found = python_pair(record)
    if found is None:
        return None
    before, after = found
    kept = {name for name, sig in signatures(before, "python").items() if signatures(after, "python").get(name) == sig}
    seed = int(hashlib.sha256((before + "\0" + after).encode()).hexdigest()[:12], 16)
    calls = probe_calls(before, kept, random.Random(seed), also=after)
    return Pair(key, before, after, calls) if calls else None


@dataclass
class ProbeResult:
    problems: dict[int, list[str]] = field(default_factory=dict)
    checked: int = 0  # pairs with at least one input the original accepts
    inconclusive: int = 0  # pairs whose original accepted none of the inputs
    skipped: str = ""  # why nothing ran


# Runs inside the jail: reads pairs.json, writes results.json. Standard library only.
_RUNNER = r'''
import contextlib, copy, io, json, os, re, signal, sys, types

ACCEPTED = int(sys.argv[1])
CALL_SECONDS = float(sys.argv[2])
OUT = os.open(os.path.abspath("results.jsonl"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
PAIRS = json.load(open("pairs.json"))


def decode(v):
    if isinstance(v, dict) and set(v) == {"__ns__"}:
        return types.SimpleNamespace(**{k: decode(x) for k, x in v["__ns__"].items()})
    if isinstance(v, dict):
        return {k: decode(x) for k, x in v.items()}
    if isinstance(v, list):
        return [decode(x) for x in v]
    return v


def shown(v):
    return re.sub(r" at 0x[0-9a-fA-F]+", "", repr(v))[:200]


def norm(v, depth=0):
    # values to compare across the two sides: each side defines its own classes and functions, so an
    # instance of the code's own class is its class name and fields, a function its name
    if depth > 6:
        return shown(v)
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, [norm(x, depth + 1) for x in v])
    if isinstance(v, dict):
        return ("dict", sorted(((shown(k), norm(x, depth + 1)) for k, x in v.items()), key=lambda kv: kv[0]))
    if isinstance(v, (set, frozenset)):
        return (type(v).__name__, sorted(shown(x) for x in v))
    if isinstance(v, (types.FunctionType, types.LambdaType, type)):
        return ("code", getattr(v, "__name__", "?"))
    if getattr(type(v), "__module__", "") == "probe":
        fields = vars(v) if hasattr(v, "__dict__") else {s: getattr(v, s, None) for s in getattr(v, "__slots__", ())}
        return ("object", type(v).__name__, norm(fields, depth + 1))
    return v


class Slow(BaseException):  # not an Exception: the code under probe may catch those
    pass


def alarm(*_):
    raise Slow()


def call(ns, name, args):
    signal.signal(signal.SIGALRM, alarm)  # the code may have replaced the handler
    signal.setitimer(signal.ITIMER_REAL, CALL_SECONDS)
    try:
        args = copy.deepcopy(args)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            value = ns[name](*args)
            if isinstance(value, types.GeneratorType):
                value = list(value)
        return norm(value), out.getvalue(), norm(args), shown(value)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def load(code, base=None):
    ns = dict(base) if base else {"__name__": "probe"}
    signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, CALL_SECONDS)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(code, "<probe>", "exec"), ns)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return ns


def same(a, b):
    try:
        return a == b
    except BaseException:
        return False


for pair in PAIRS:
    res = {"key": pair["key"], "accepted": 0, "diffs": [], "error": ""}
    os.write(OUT, (json.dumps({"key": pair["key"], "started": True}) + "\n").encode())
    try:
        before = load(pair["before"])
        after = load(pair["after"], before)  # an answer that shows only what it changed keeps the rest
        checked_once = slow = 0
        for name, raw in pair["calls"]:
            if res["accepted"] >= ACCEPTED or len(res["diffs"]) >= 3:
                break
            args = decode(raw)
            try:
                if checked_once < 3:  # does the original give one answer (no randomness, no clock)? on fresh loads
                    first, second = call(load(pair["before"]), name, args), call(load(pair["before"]), name, args)
                    checked_once += 1
                    if not same(first[:3], second[:3]):
                        res["error"] = "the original gives different results for the same input"
                        break
                want = call(before, name, args)
            except Slow:
                slow += 1
                if slow >= 2:  # the original itself is too slow to probe
                    res["error"] = f"the original takes longer than {CALL_SECONDS:g} s a call"
                    break
                continue
            except BaseException:
                continue  # outside the original's domain
            res["accepted"] += 1
            where = f"{name}({', '.join(shown(a) for a in args)})"
            try:
                got = call(after, name, args)
            except Slow:
                res["diffs"].append(f"{where} returned {want[3]} before, takes longer than {CALL_SECONDS:g} s after")
                continue
            except BaseException as exc:
                res["diffs"].append(f"{where} returned {want[3]} before, raises {type(exc).__name__} after")
                continue
            if not same(want[0], got[0]):
                res["diffs"].append(f"{where}: {want[3]} before, {got[3]} after")
            elif want[1] != got[1]:
                res["diffs"].append(f"{where} prints {want[1][:80]!r} before, {got[1][:80]!r} after")
            elif not same(want[2], got[2]):
                res["diffs"].append(f"{where} leaves its arguments changed differently before and after")
    except Slow:
        res["error"] = f"loading the code took longer than {CALL_SECONDS:g} s"
    except BaseException as exc:
        res["error"] = f"{type(exc).__name__}: {str(exc)[:120]}"
    os.write(OUT, (json.dumps(res) + "\n").encode())  # one line a pair: code that kills the process loses no other
'''


def run_pairs(pairs: Iterable[Pair]) -> ProbeResult:
    """Run ``pairs`` in one jailed process; problems by the caller's key."""
    from factory.rollout.sandbox import Limits, namespaces_available, open_sandbox

    pairs = list(pairs)
    result = ProbeResult()
    if not pairs:
        return result
    why = namespaces_available()
    if why:
        result.skipped = f"no sandbox jail to run the records' code in ({why})"
        return result
    found: dict[str, dict[str, Any]] = {}
    todo = pairs
    while todo:  # a pair whose code ends the process (os._exit, a signal) is dropped and the rest go on
        with tempfile.TemporaryDirectory(prefix="factory-probes-") as tmp:
            work = Path(tmp, "probes")
            work.mkdir()
            (work / "runner.py").write_text(_RUNNER)
            (work / "pairs.json").write_text(json.dumps([pair.__dict__ for pair in todo]))
            with open_sandbox(work, limits=Limits(timeout=BATCH_SECONDS, memory=2 << 30),
                              isolation="namespace") as box:
                done = box.run(f"python runner.py {ACCEPTED} {CALL_SECONDS}", timeout=BATCH_SECONDS)
                lines = (box.root / "results.jsonl").read_text().splitlines() \
                    if (box.root / "results.jsonl").is_file() else []
        started = None
        for line in lines:
            try:  # the file is written from the process that runs the code under probe
                row = json.loads(line)
                str(row["key"])
            except (ValueError, TypeError, KeyError):
                continue
            if row.get("started"):
                started = row["key"]
            else:
                found[str(row["key"])] = row
                started = None
        if not lines:
            result.skipped = f"the probe process failed: {done.text()[-300:]}"
            return result
        last = next((i for i, pair in enumerate(todo) if pair.key == started), None) if started is not None else None
        if last is None:
            break
        found[str(started)] = {"accepted": 0, "diffs": [], "error": "its code ended the probe process"}
        todo = todo[last + 1:]
    for pair in pairs:
        res = found.get(str(pair.key)) or {}
        if res.get("accepted"):
            result.checked += 1
        else:
            result.inconclusive += 1
        if res.get("diffs"):
            result.problems[pair.key] = [f"claim refactor: labelled behaviour-preserving, but {d}" for d in res["diffs"]]
    return result
