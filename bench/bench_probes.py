"""How well the executed refactor check (factory.quality.probes) tells a behaviour change from a
refactor. Prints figures; not a test.

On the behaviour-preserving Python pairs of a dataset (style_refactor.jsonl of `factory run`):
1. false alarms: the pairs as they are (every one should pass);
2. power: each pair's refactored side mutated once in a way that changes behaviour -- a comparison
   flipped (< and <=, > and >=, == and !=), an integer constant moved by one, `and` and `or` swapped --
   relabelled as preserving; the share the check catches (a mutant that changes nothing observable, or
   only outside the original's domain, is not caught, so 100% is not expected);
3. the pairs labelled as behaviour changes, relabelled as preserving: the share caught, per pattern;
and the wall time of each batch (one jailed process each).

    python bench/bench_probes.py --data data
"""

from __future__ import annotations

import argparse
import ast
import copy
import random
import time
from collections import Counter
from pathlib import Path

import orjson

_FLIP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}


def mutate(code: str, rng: random.Random) -> tuple[str, str] | None:
    """``code`` with one behaviour-changing edit, and its kind; None when there is nothing to mutate."""
    tree = ast.parse(code)
    sites = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and type(node.ops[0]) in _FLIP:
            sites.append(("comparison", node))
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            sites.append(("constant", node))
        elif isinstance(node, ast.BoolOp):
            sites.append(("and/or", node))
    if not sites:
        return None
    kind, node = rng.choice(sites)
    if kind == "comparison":
        node.ops[0] = _FLIP[type(node.ops[0])]()
    elif kind == "constant":
        node.value += 1
    else:
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    return ast.unparse(tree), kind


def _with_after(record: dict, new_after: str) -> dict:
    out = copy.deepcopy(record)
    for m in out["messages"]:
        if m["role"] == "assistant" and "```python" in (m.get("content") or ""):
            head, rest = m["content"].split("```python\n", 1)
            _, tail = rest.split("```", 1)
            m["content"] = f"{head}```python\n{new_after}\n```{tail}"
            break
    return out


def main() -> None:
    from factory.quality.probes import make_pair, python_pair, run_pairs

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("data"))
    args = parser.parse_args()
    rows = [orjson.loads(line) for line in (args.data / "style_refactor.jsonl").read_bytes().splitlines()]
    keep = [r for r in rows if r["meta"].get("refactor") == "behaviour-preserving" and python_pair(r)]
    pairs = [p for i, r in enumerate(keep) if (p := make_pair(i, r))]
    t = time.perf_counter()
    res = run_pairs(pairs)
    print(f"preserving pairs: {len(pairs)}, checked {res.checked}, inconclusive {res.inconclusive}, "
          f"false alarms {len(res.problems)}, {time.perf_counter() - t:.2f} s")

    rng = random.Random(0)
    mutants, kinds = [], []
    for r in keep:
        _, after = python_pair(r)
        found = mutate(after, rng)
        if found:
            mutants.append(_with_after(r, found[0]))
            kinds.append(found[1])
    pairs = [p for i, r in enumerate(mutants) if (p := make_pair(i, r))]
    t = time.perf_counter()
    res = run_pairs(pairs)
    made, caught = Counter(kinds[p.key] for p in pairs), Counter(kinds[k] for k in res.problems)
    print(f"mutants: {len(pairs)}, caught {len(res.problems)} ({len(res.problems) / max(1, len(pairs)):.1%}), "
          f"{time.perf_counter() - t:.2f} s")
    for kind, n in made.most_common():
        print(f"  {kind:12} {caught[kind]}/{n} ({caught[kind] / n:.1%})")

    changed = []
    for r in rows:
        if r["meta"].get("refactor") == "behaviour change" and python_pair({**r, "meta": {"refactor": "behaviour-preserving"}}):
            c = copy.deepcopy(r)
            c["meta"]["refactor"] = "behaviour-preserving"
            changed.append(c)
    pairs = [p for i, r in enumerate(changed) if (p := make_pair(i, r))]
    res = run_pairs(pairs)
    made = Counter(changed[p.key]["meta"].get("pattern") for p in pairs)
    caught = Counter(changed[k]["meta"].get("pattern") for k in res.problems)
    print(f"labelled behaviour changes, relabelled: {len(pairs)}, caught {len(res.problems)}, "
          f"inconclusive {res.inconclusive}")
    for pattern, n in made.most_common():
        print(f"  {pattern:20} {caught[pattern]}/{n}")


if __name__ == "__main__":
    main()
