"""Evaluation: eval items from factory records or BFCL files, decoding of tool calls from generated text,
scoring (BFCL AST rules, refusals, Python style) and the report with the training guide's bars.

Scoring is separate from generation so that any model's outputs can be scored, and so tests can prove
the scorer on fixed texts. A refusal is an answer with no decodable call.
"""

from __future__ import annotations

import ast
import csv
import difflib
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from factory.errors import InputError
from factory.export.base import iter_defect_pairs
from factory.schemas import Example
from factory.store.jsonl import atomic_write, read_jsonl
from factory.training.bfcl import check_calls, expected_name, load_bfcl
from factory.training.data import chat_messages

# The evaluation bars of the training guide: metric -> minimum.
BARS = {
    "json_valid": 0.95,
    "correct_tool": 0.85,
    "lint_pass": 1.0,
    "ast_match": 0.90,
    "refusal": 0.98,
    "overall": 0.90,
}
# Metrics each kind of item contributes to.
KIND_METRICS = {
    "tool": ("json_valid", "correct_tool", "args_match", "args_match_one_to_one"),
    "refusal": ("refusal",),
    "style": ("parses", "lint_pass", "ast_match"),
    "multi_turn": ("multi_turn_state",),
}
AST_MATCH_MIN = 0.9  # AST similarity at which a Python answer counts as matching its reference

_TOOL_CALL_BLOCK = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
_CALL_SHAPE = re.compile(r'"(?:name|function)"\s*:')
_CODE_BLOCK = re.compile(r"```(?:python|py)?\s*\n(.*?)```", re.DOTALL)


@dataclass
class EvalItem:
    """One prompt with what a correct answer is: BFCL-style answers for tools, or a reference text."""

    id: str
    category: str
    kind: str  # tool | refusal | style | text
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] = field(default_factory=list)
    functions: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, dict]] = field(default_factory=list)
    reference: str = ""
    case: Any = None  # a multi-turn case (factory.training.bfcl_multi_turn.MultiTurnCase)


@dataclass
class DecodedCalls:
    calls: list[dict[str, Any]]
    attempted: bool  # the text tries to call a tool (wrapper or JSON call shape)
    valid_json: bool  # every attempt parsed to {"name", "arguments"}


def decode_calls(text: str) -> DecodedCalls:
    """Tool calls in generated text: Qwen/Hermes ``<tool_call>{...}</tool_call>`` blocks, Mistral
    ``[TOOL_CALLS] [...]``, or a bare JSON call object / list of them."""
    blocks = _TOOL_CALL_BLOCK.findall(text)
    if not blocks:
        stripped = text.strip()
        if stripped.startswith("[TOOL_CALLS]"):
            blocks = [stripped[len("[TOOL_CALLS]") :]]
        elif stripped[:1] in ("{", "[") and _CALL_SHAPE.search(stripped[:300]):
            blocks = [stripped]
    if not blocks:
        return DecodedCalls([], attempted=False, valid_json=False)
    calls, valid = [], True
    for block in blocks:
        try:
            parsed = orjson.loads(block)
        except orjson.JSONDecodeError:
            valid = False
            continue
        for obj in parsed if isinstance(parsed, list) else [parsed]:
            call = _call_from_json(obj)
            if call is None:
                valid = False
            else:
                calls.append(call)
    return DecodedCalls(calls, attempted=True, valid_json=valid and bool(calls))


def _call_from_json(obj: Any) -> dict[str, Any] | None:
    if not isinstance(obj, dict):
        return None
    if isinstance(obj.get("function"), dict):
        obj = obj["function"]
    name, args = obj.get("name"), obj.get("arguments", obj.get("parameters", {}))
    if isinstance(args, str):
        try:
            args = orjson.loads(args)
        except orjson.JSONDecodeError:
            return None
    if not isinstance(name, str) or not isinstance(args, dict):
        return None
    return {"name": name, "arguments": args}


def python_code(text: str) -> str:
    blocks = _CODE_BLOCK.findall(text)
    return "\n".join(blocks) if blocks else text


def ast_similarity(code: str, reference: str) -> float:
    """Similarity of the two programs' AST node sequences (1.0 = same structure); 0.0 if either fails to parse."""
    try:
        a, b = (([type(n).__name__ for n in ast.walk(ast.parse(src))]) for src in (code, reference))
    except SyntaxError:
        return 0.0
    return difflib.SequenceMatcher(None, list(a), list(b), autojunk=False).ratio()


def ruff_passes(code: str) -> tuple[bool, str]:
    """``ruff check`` on the code (default rules); (passed, first finding)."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--no-cache",
            "--output-format",
            "concise",
            "--stdin-filename",
            "answer.py",
            "-",
        ],
        input=code,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"ruff failed to run: {proc.stderr.strip()} (pip install ruff)")
    return proc.returncode == 0, proc.stdout.strip().splitlines()[0] if proc.returncode else ""


def score_output(item: EvalItem, text: str, underscore_to_dot: bool = False) -> dict[str, Any]:
    """The item's metrics (each 0/1, ast_match 0..1) plus ``passed`` and a short ``reason``. Calls are
    scored by the leaderboard's rules (``args_match``, which decides ``passed``) and by the one-to-one
    rules beside them (``args_match_one_to_one``; see :mod:`factory.training.bfcl`)."""
    decoded = decode_calls(text)
    if item.kind == "tool":
        category = item.category.removeprefix("bfcl_") if item.category.startswith("bfcl_") else ""
        names = sorted(c["name"] for c in decoded.calls)
        wanted = sorted(expected_name(n, underscore_to_dot) for a in item.answers for n in a)
        verdict = one_to_one = None
        if decoded.valid_json:
            verdict = check_calls(item.functions, decoded.calls, item.answers, category,
                                  underscore_to_dot=underscore_to_dot)
            one_to_one = check_calls(item.functions, decoded.calls, item.answers, category, rules="one-to-one",
                                     underscore_to_dot=underscore_to_dot)
        scores = {
            "json_valid": float(decoded.valid_json),
            "correct_tool": float(names == wanted),
            "args_match": float(bool(verdict and verdict.valid)),
            "args_match_one_to_one": float(bool(one_to_one and one_to_one.valid)),
        }
        reason = (
            "no tool call"
            if not decoded.attempted
            else "tool call is not valid JSON"
            if not decoded.valid_json
            else ""
            if verdict.valid
            else f"{verdict.error_type}: {verdict.error}"
        )
        return {**scores, "passed": scores["args_match"] == 1.0, "reason": reason}
    if item.kind == "refusal":
        refused = not decoded.calls
        return {
            "refusal": float(refused),
            "passed": refused,
            "reason": "" if refused else f"called {', '.join(c['name'] for c in decoded.calls)}",
        }
    if item.kind == "style":
        code = python_code(text)
        try:
            ast.parse(code)
            parses = True
        except SyntaxError as exc:
            parses, syntax = False, f"syntax error line {exc.lineno}: {exc.msg}"
        lint_ok, finding = ruff_passes(code) if parses else (False, syntax)
        similarity = ast_similarity(code, python_code(item.reference))
        passed = parses and lint_ok and similarity >= AST_MATCH_MIN
        reason = finding if not lint_ok else "" if passed else f"AST similarity {similarity:.2f}"
        return {
            "parses": float(parses),
            "lint_pass": float(lint_ok),
            "ast_match": round(similarity, 4),
            "passed": passed,
            "reason": reason,
        }
    return {"passed": True, "reason": "not scored (free text)"}


# -- eval items --------------------------------------------------------------------------------------


_REFUSALS: dict[int, frozenset[str]] = {}


def refusal_categories() -> frozenset[str]:
    """Categories whose spec carries the ``refusal`` tag: their answers without a tool call are refusals.
    Computed once per registry (the running command's, see ``default_registry``)."""
    from factory.generate.specs import category_specs
    from factory.host import default_registry

    registry = default_registry()
    if id(registry) not in _REFUSALS:
        _REFUSALS[id(registry)] = frozenset(
            name for name, spec in category_specs(registry).items() if "refusal" in spec.tags)
    return _REFUSALS[id(registry)]


def item_from_example(example: Example, refusals: Collection[str] | None = None) -> EvalItem:
    """Prompt = the conversation before the last assistant turn; that turn (or a tool_neg record's
    correct calls) is the reference. A record with tools offered, or of a category in ``refusals``
    (default: :func:`refusal_categories`), whose reference makes no call is a refusal item."""
    record = example.to_dict()
    messages = record["messages"]
    last = max((i for i, m in enumerate(messages) if m["role"] == "assistant"), default=None)
    if last is None:
        raise ValueError("no assistant turn to compare against")
    ref = messages[last]
    calls = ref.get("tool_calls") or []
    for _prompt, chosen, _rejected in iter_defect_pairs(record):
        calls = chosen["tool_calls"]
    functions = [t["function"] for t in example.tools if "function" in t]
    prompt = chat_messages(messages[:last])
    content = ref.get("content") or ""
    if calls:
        answers = [
            {c["function"]["name"]: {k: [v] for k, v in c["function"]["arguments"].items()}} for c in calls
        ]
        # other values a generator says are as right as the reference's (another command that runs the
        # same test; "" for an argument that may be left out), for a single reference call
        accepted = getattr(example.meta, "accepted_arguments", None) or {}
        if len(answers) == 1 and isinstance(accepted, dict):
            args = next(iter(answers[0].values()))
            for k, values in accepted.items():
                args[k] = [*args.get(k, []), *(v for v in values if v not in args.get(k, []))]
        return EvalItem(example.id, example.category, "tool", prompt, example.tools, functions, answers)
    kind = (
        "style"
        if _CODE_BLOCK.search(content)
        else "refusal"
        if (example.tools or example.category in (refusal_categories() if refusals is None else refusals))
        else "text"
    )
    return EvalItem(example.id, example.category, kind, prompt, example.tools, functions, reference=content)


def load_eval_items(paths: Iterable[str | Path], rejected: list[str]) -> Iterator[EvalItem]:
    """Eval items from factory record files, or from BFCL question files (``BFCL_v*_*.jsonl``, with the
    ``.possible_answer.jsonl`` beside it when there is one; ``irrelevance`` items are refusals)."""
    for raw in paths:
        path = Path(raw)
        if path.name.startswith("BFCL_") and "_multi_turn" in path.name:
            from factory.training.bfcl_multi_turn import load_multi_turn

            answers = path.with_name(path.name.replace(".jsonl", ".possible_answer.jsonl"))
            for case in load_multi_turn(path, answers if answers.exists() else None):
                yield EvalItem(case.id, f"bfcl_{case.category}", "multi_turn", case.turns[0] if case.turns else [],
                               functions=case.functions, case=case)
            continue
        if path.name.startswith("BFCL_"):
            answers = path.with_name(path.name.replace(".jsonl", ".possible_answer.jsonl"))
            for case in load_bfcl(path, answers if answers.exists() else None):
                kind = "tool" if case.answers else "refusal"
                yield EvalItem(
                    case.id,
                    f"bfcl_{case.category}",
                    kind,
                    case.messages,
                    case.tools,
                    case.functions,
                    case.answers,
                )
            continue
        for lineno, obj in read_jsonl(path):
            try:
                yield item_from_example(Example.model_validate(obj))
            except (ValueError, TypeError) as exc:
                rejected.append(f"{path}:{lineno}: {str(exc).splitlines()[0]}")


# -- the report --------------------------------------------------------------------------------------


def summarise(scored: list[tuple[EvalItem, dict[str, Any]]]) -> dict[str, dict[str, float]]:
    """{category or "overall": {metric: mean, "overall": pass rate, "n": items}}."""
    groups: dict[str, list[tuple[EvalItem, dict]]] = defaultdict(list)
    for item, scores in scored:
        if item.kind in KIND_METRICS:
            groups[item.category].append((item, scores))
            groups["overall"].append((item, scores))
    table: dict[str, dict[str, float]] = {}
    for group, rows in groups.items():
        sums: dict[str, list[float]] = defaultdict(list)
        for item, scores in rows:
            for metric in KIND_METRICS[item.kind]:
                sums[metric].append(scores[metric])
        table[group] = {m: sum(v) / len(v) for m, v in sums.items()}
        table[group]["overall"] = sum(s["passed"] for _, s in rows) / len(rows)
        table[group]["n"] = len(rows)
    return table


# The training guide's bar for a quantised or served model against its source: every metric within
# this many points.
QUANT_TOLERANCE_POINTS = 1.0


def write_reports(
    out_dir: str | Path, results: dict[str, list[tuple[EvalItem, dict[str, Any], str]]], compare: bool = False,
) -> dict[str, dict[str, dict[str, float]]]:
    """``eval_items.csv`` (every item, every model), ``eval_summary.csv`` and ``eval_log.md`` with the
    bars as pass/fail, models side by side. ``results`` maps a model label to (item, scores, output).
    ``compare``: the first model is the reference the others are held to (within
    :data:`QUANT_TOLERANCE_POINTS` on every metric, overall and per category)."""
    out_dir = Path(out_dir)
    summaries = {label: summarise([(i, s) for i, s, _ in rows]) for label, rows in results.items()}
    labels = list(results)
    metric_cols = ["json_valid", "correct_tool", "args_match", "args_match_one_to_one", "refusal", "parses",
                   "lint_pass", "ast_match", "multi_turn_state"]
    with atomic_write(out_dir / "eval_items.csv", "w") as fh:
        w = csv.writer(fh)
        w.writerow(["model", "id", "category", "kind", *metric_cols, "passed", "reason", "output"])
        for label, rows in results.items():
            for item, scores, output in rows:
                w.writerow(
                    [
                        label,
                        item.id,
                        item.category,
                        item.kind,
                        *(scores.get(m, "") for m in metric_cols),
                        int(scores["passed"]),
                        scores["reason"],
                        output[:500],
                    ]
                )
    groups = sorted({g for s in summaries.values() for g in s}, key=lambda g: (g == "overall", g))
    with atomic_write(out_dir / "eval_summary.csv", "w") as fh:
        w = csv.writer(fh)
        w.writerow(["model", "group", "n", *metric_cols, "overall"])
        for label in labels:
            for group in groups:
                row = summaries[label].get(group)
                if row:
                    w.writerow(
                        [
                            label,
                            group,
                            int(row["n"]),
                            *(_fmt(row.get(m)) for m in metric_cols),
                            _fmt(row["overall"]),
                        ]
                    )
    lines = [
        "# Evaluation",
        "",
        "Bars from the training checklist; a metric passes when the model meets it.",
        "",
        "| metric | bar | " + " | ".join(labels) + " |",
        "|---|---|" + "---|" * len(labels),
    ]
    for metric, bar in BARS.items():
        cells = []
        for label in labels:
            value = summaries[label].get("overall", {}).get(metric)
            cells.append("n/a" if value is None else f"{value:.1%} {'PASS' if value >= bar else 'FAIL'}")
        lines.append(f"| {metric} | >= {bar:.0%} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Per category",
        "",
        "| category | n | metric | " + " | ".join(labels) + " |",
        "|---|---|---|" + "---|" * len(labels),
    ]
    for group in groups:
        first = summaries[labels[0]].get(group, {})
        for metric in [m for m in [*metric_cols, "overall"] if m in first]:
            cells = [_fmt(summaries[label].get(group, {}).get(metric)) for label in labels]
            lines.append(f"| {group} | {int(first['n'])} | {metric} | " + " | ".join(cells) + " |")
    lines += ["", "## Leaderboard rules against one-to-one", "",
              "`args_match` scores calls by the Berkeley Function Calling Leaderboard's rules; "
              "`args_match_one_to_one` matches parallel calls one to one, accepts ints in float arrays and "
              "normalises a dict's list values. Items the two score differently:", ""]
    for label, rows in results.items():
        differ = [item.id for item, scores, _ in rows
                  if "args_match" in scores and scores["args_match"] != scores["args_match_one_to_one"]]
        lines.append(f"- {label}: {len(differ)}" + (f" ({', '.join(differ[:20])}{', ...' if len(differ) > 20 else ''})"
                                                    if differ else ""))
    if compare and len(labels) > 1:
        lines += _comparison(summaries, labels, groups, metric_cols)
    with atomic_write(out_dir / "eval_log.md", "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return summaries


def _comparison(summaries: dict, labels: list[str], groups: list[str], metric_cols: list[str]) -> list[str]:
    ref = labels[0]
    lines = ["", f"## Against the reference ({ref})", "",
             f"Each metric in points (percentage points) against the reference. The bar -- "
             f"{QUANT_TOLERANCE_POINTS:g} point either way -- is judged on the overall figures; per category "
             "they are shown, not judged (one item of a category of n moves it by 100/n points).", "",
             "| category | metric | " + " | ".join(f"{label} - reference" for label in labels[1:]) + " |",
             "|---|---|" + "---|" * (len(labels) - 1)]
    verdicts = {label: True for label in labels[1:]}
    for group in groups:
        base = summaries[ref].get(group, {})
        for metric in [m for m in [*metric_cols, "overall"] if m in base]:
            cells = []
            for label in labels[1:]:
                value = summaries[label].get(group, {}).get(metric)
                if value is None:
                    cells.append("n/a")
                    continue
                delta = 100 * (value - base[metric])
                if group != "overall":
                    cells.append(f"{delta:+.1f}")
                    continue
                ok = abs(delta) <= QUANT_TOLERANCE_POINTS + 1e-9
                verdicts[label] &= ok
                cells.append(f"{delta:+.1f} {'PASS' if ok else 'FAIL'}")
            lines.append(f"| {group} | {metric} | " + " | ".join(cells) + " |")
    lines += ["", *(f"- {label}: {'PASS' if ok else 'FAIL'} -- every overall metric within "
                    f"{QUANT_TOLERANCE_POINTS:g} point of the reference" + ("" if ok else " is not met")
                    for label, ok in verdicts.items())]
    return lines


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


# -- generation --------------------------------------------------------------------------------------


def responder(model, tokenizer, max_new_tokens: int = 256):
    """``respond(messages, tools) -> text``: one greedy completion through the chat template."""
    import torch

    drop = {t for t in (tokenizer.eos_token, tokenizer.pad_token, "<|im_end|>", "<|endoftext|>") if t}
    model.eval()

    def respond(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> str:
        ids = tokenizer.apply_chat_template(
            messages,
            tools=tools or None,
            add_generation_prompt=True,
            return_tensors="pt",
            return_dict=True,
        )
        ids = {k: v.to(model.device) for k, v in ids.items()}
        with torch.no_grad():
            out = model.generate(
                **ids,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
                eos_token_id=tokenizer.eos_token_id,
            )
        text = tokenizer.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=False)
        for token in drop:
            text = text.replace(token, "")
        return text.strip()

    return respond


def score_multi_turn(item: EvalItem, respond, max_steps: int | None = None) -> tuple[dict[str, Any], str]:
    """Play a multi-turn case with ``respond`` and check it by state; the scores and the calls made."""
    from factory.training.bfcl_multi_turn import MAXIMUM_STEP_LIMIT, check_multi_turn, play_multi_turn

    played = play_multi_turn(item.case, respond, lambda text: decode_calls(text).calls,
                             max_steps or MAXIMUM_STEP_LIMIT)
    if played.forced_quit:
        verdict = {"valid": False, "error_type": "multi_turn:force_terminated",
                   "error_message": f"more than {max_steps or MAXIMUM_STEP_LIMIT} steps in one turn"}
    else:
        verdict = check_multi_turn(played.turns, item.case)
    passed = bool(verdict["valid"])
    reason = "" if passed else f"{verdict['error_type']}: {verdict['error_message']}"
    return ({"multi_turn_state": float(passed), "passed": passed, "reason": reason},
            orjson.dumps(played.turns).decode())


def run_eval(
    base: str,
    adapters: list[str],
    data: list[str],
    out_dir: str | Path,
    limit: int | None = None,
    max_new_tokens: int = 256,
    log=print,
    underscore_to_dot: bool = False,
    base_url: str | None = None,
    reference: str | None = None,
    n_ctx: int = 4096,
) -> dict[str, dict[str, dict[str, float]]]:
    """Generate with the model and with each adapter on the same items; write the reports to ``out_dir``.
    The model is a Hugging Face directory (or hub name), a ``.gguf`` file run through llama.cpp, or -- with
    ``base_url`` -- a model an OpenAI-compatible server serves under that name. ``reference``: a Hugging
    Face directory scored beside it (a GGUF's source model), with the difference per metric and the
    training guide's bar for quantisation (within one point). ``underscore_to_dot`` expects ``a_b`` for a
    function ``a.b``, as the leaderboard does for models that cannot send dots in names."""
    rejected: list[str] = []
    items = []
    for item in load_eval_items(data, rejected):
        items.append(item)
        if limit and len(items) >= limit:
            break
    for reason in rejected:
        log(f"skipped {reason}")
    if not items:
        raise InputError(", ".join(map(str, data)), None, "no eval items", "pass eval.jsonl or a BFCL file")
    subjects: list[tuple[str, Any]] = []
    if reference:
        subjects.append((f"{Path(reference).name} (reference)", lambda: _hf_responder(reference, "", max_new_tokens)))
    if base_url:
        from factory.training.gguf import http_responder

        subjects.append((f"{base} (served)", lambda: http_responder(base_url, base, max_new_tokens)))
    elif str(base).endswith(".gguf"):
        from factory.training.gguf import check_gguf, gguf_responder

        check_gguf(base)
        subjects.append((Path(base).name, lambda: gguf_responder(base, max_new_tokens, n_ctx, log)))
    else:
        subjects.append(("base", lambda: _hf_responder(base, "", max_new_tokens)))
        subjects += [(Path(a).parent.name or Path(a).name, lambda a=a: _hf_responder(base, a, max_new_tokens))
                     for a in adapters]
    results: dict[str, list] = {}
    for label, make in subjects:
        respond = make()
        single = [item for item in items if item.kind != "multi_turn"]
        results[label] = [(item, score_output(item, text, underscore_to_dot), text)
                          for item, text in zip(single, (respond(i.messages, i.tools) for i in single))]
        results[label] += [(item, *score_multi_turn(item, respond)) for item in items if item.kind == "multi_turn"]
        log(f"{label}: {len(items)} items generated")
    summaries = write_reports(out_dir, results, compare=bool(reference))
    log(
        f"wrote {Path(out_dir) / 'eval_log.md'}, eval_summary.csv, eval_items.csv "
        f"({len(items)} items, {len(rejected)} skipped)"
    )
    return summaries


def _hf_responder(base: str, adapter: str, max_new_tokens: int):
    from factory.training.sft import load_base_model, load_tokenizer, pick_device

    device = pick_device()
    tokenizer = load_tokenizer(adapter or base)
    model = load_base_model(base, device)
    if adapter:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter)
    model.to(device)
    return responder(model, tokenizer, max_new_tokens)
