"""The eleven agent categories, generated offline at their default counts: counts per subcategory,
validation, parse/lint of every code block, near-duplicate share, grounded tool results, and the
shapes agent work needs (parallel calls, multi-turn, recovery after a failed call)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import pytest

from factory.generate.category import category_context, generate_category
from factory.generate.specs import load_spec
from factory.host import PluginHost
from factory.merge.dataset import MergeOptions, inputs_from, merge
from factory.quality.codecheck import check_records
from factory.quality.neardup import near_duplicate_share
from factory.quality.validate import validate_file
from factory.sandbox.workspace import READ_ONLY_TOOLS, Workspace, record_workspace, verify_records

# category -> subcategory -> default count
AGENT_CATEGORIES = {
    "tool_use": {"parallel_execution": 120, "single_tools": 15, "multi_turn": 15, "error_recovery": 10, "parameters": 10,
                 "plain_answer": 10, "tool_not_offered": 10, "missing_argument": 10},
    "powertools": {"goto_definition": 28, "find_references": 28, "functions": 13, "classes": 13, "stats": 11, "index": 7},
    "skills": {"brainstorming": 50, "debugging": 50, "tdd": 20, "scale_game": 20, "when_stuck": 10},
    "agentic": {"tdd": 120, "systematic_debugging": 80, "planning": 60, "code_review": 20, "exploration": 20},
    "craftsmanship": {"dry": 102, "solid": 75, "clean_code": 75, "refactoring": 48},
    "collaboration": {"clarifying_questions": 80, "progress_updates": 50, "technical_decisions": 35,
                      "uncertainty": 15, "suggestions": 20},
    "problem_solving": {"when_stuck": 40, "scale_edge_cases": 60, "root_cause": 40, "self_verification": 40,
                        "inversion": 10, "patterns": 10},
    "context_memory": {"previous_decisions": 60, "project_conventions": 50, "user_preferences": 24, "prior_work": 30,
                       "coherence": 35},
    "documentation": {"commit_messages": 60, "readme": 50, "api_docs": 40, "inline_comments": 30, "migration_guides": 20},
    "security": {"input_validation": 50, "sql_injection": 30, "xss": 30, "auth": 30, "secrets": 20, "cors": 15,
                 "crypto": 15, "dependencies": 10},
    "language_idioms": {"rust": 63, "typescript": 55, "python": 55, "go": 50},
}


@pytest.fixture(scope="module")
def host() -> PluginHost:
    return PluginHost(entry_points=False).load()


@pytest.fixture(scope="module")
def generated(host: PluginHost, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict]]:
    out = tmp_path_factory.mktemp("agent_categories")
    records = {}
    for name in AGENT_CATEGORIES:
        result = generate_category(host.registry.categories[name], host.registry, out, seed=42)
        records[name] = [orjson.loads(line) for line in result.path.read_bytes().splitlines()]
    return records


def test_specs_carry_default_counts_and_real_prompts(host: PluginHost) -> None:
    for name, targets in AGENT_CATEGORIES.items():
        spec = load_spec(host.registry.categories[name].spec_path)
        assert spec.targets == targets, name
        assert len(spec.body) > 1500, f"{name}: the LLM system prompt is too thin"
        assert spec.body.strip() != "placeholder"


def test_every_category_generates_its_default_counts_per_subcategory(generated: dict[str, list[dict]]) -> None:
    for name, targets in AGENT_CATEGORIES.items():
        got = Counter(r["subcategory"] for r in generated[name])
        assert dict(got) == targets, name
        prompts = [tuple(m["content"] for m in r["messages"] if m["role"] == "user") for r in generated[name]]
        assert len(set(prompts)) == len(prompts), f"{name}: duplicate user prompts"


def test_every_record_validates_clean(generated: dict[str, list[dict]], tmp_path: Path) -> None:
    for name, recs in generated.items():
        path = tmp_path / f"{name}.jsonl"
        path.write_bytes(b"\n".join(orjson.dumps(r) for r in recs) + b"\n")
        report = validate_file(path)
        assert report.errors == [] and report.valid == sum(AGENT_CATEGORIES[name].values()), name


def test_every_code_block_parses_and_assistant_python_passes_ruff(generated: dict[str, list[dict]]) -> None:
    langs: Counter = Counter()
    from factory.quality.codecheck import record_blocks

    for name, recs in generated.items():
        for rec in recs:
            langs.update(b.language for b in record_blocks(rec))
        failures = [(i, p) for i, p in enumerate(check_records(recs)) if p]
        assert failures == [], f"{name}: {failures[:3]}"
    for lang in ("python", "rust", "typescript", "go"):
        assert langs[lang] >= 50, f"too few {lang} blocks checked: {langs}"


def test_near_duplicate_share_stays_under_five_percent(generated: dict[str, list[dict]]) -> None:
    shares = {name: near_duplicate_share(recs).share for name, recs in generated.items()}
    assert all(s < 0.05 for s in shares.values()), shares


def test_merge_keeps_at_least_98_percent_of_every_category(generated: dict[str, list[dict]], tmp_path: Path) -> None:
    # `factory run` merges the categories with a MinHash near-duplicate filter (word bigrams, 0.8): records
    # built on the same fixture task must differ enough in what the assistant says and does to survive it.
    paths = []
    for name, recs in generated.items():
        paths.append(tmp_path / f"{name}.jsonl")
        paths[-1].write_bytes(b"\n".join(orjson.dumps(r) for r in recs) + b"\n")
    report = merge(inputs_from(categories=paths), tmp_path / "merged", MergeOptions(seed=42)).report
    assert report["reconciles"] and report["dropped"].get("invalid", 0) == 0
    kept = Counter(report["train"]["by_category"]) + Counter(report["eval"]["by_category"])
    short = {name: f"{kept[name]}/{len(recs)}" for name, recs in generated.items() if kept[name] < 0.98 * len(recs)}
    assert short == {}, report["near_duplicate_examples"][:5]


def test_tool_results_are_real_executions_against_the_fixture_repo(generated: dict[str, list[dict]]) -> None:
    ws = Workspace()
    for name in ("tool_use", "powertools", "agentic", "skills", "context_memory", "documentation", "problem_solving"):
        report = verify_records(generated[name], ws)
        assert report.checked > 20, name
        assert report.pass_rate == 1.0, (name, report.failures.most_common(3))


def test_every_record_renders_within_2048_qwen_tokens_with_its_tools(generated: dict[str, list[dict]],
                                                                    tmp_path: Path) -> None:
    # The same count `factory validate --tokenizer qwen2.5 --max-tokens 2048` makes and `factory run`'s
    # merge drops by: the record rendered through the Qwen2.5 chat template with its offered tools.
    from factory.quality.tokens import load_tokenizer, scan_token_lengths

    paths = []
    for name, recs in generated.items():
        paths.append(tmp_path / f"{name}.jsonl")
        paths[-1].write_bytes(b"\n".join(orjson.dumps(r) for r in recs) + b"\n")
    report = scan_token_lengths(paths, load_tokenizer("qwen2.5"), max_tokens=2048, roundtrip=False)
    assert report.render_errors == []
    assert sum(len(v) for v in report.lengths.values()) == sum(sum(t.values()) for t in AGENT_CATEGORIES.values())
    assert [f"{f.path}:{f.line}: {f.reason}" for f in report.over_limit] == []
    assert max(report.lengths["tool_use"]) > 1000  # still real multi-call conversations, not stubs


def test_tool_use_offers_the_tools_it_calls_plus_a_few_compact_distractors(
        generated: dict[str, list[dict]]) -> None:
    from factory.authoring.generator import COMPACT_TOOL_CHARS

    offered_anywhere = set()
    for rec in generated["tool_use"]:
        offered = {t["function"]["name"]: t for t in rec["tools"]}
        called = {c["function"]["name"] for m in rec["messages"] for c in m.get("tool_calls") or []}
        distractors = set(offered) - called
        # a behaviour record (plain answer, missing tool or argument) chooses its own handful of tools
        few = 1 <= len(distractors) <= 5 if rec["meta"].get("behaviour") else len(distractors) == 2
        assert called <= set(offered) and few, (called, sorted(offered))
        assert all(len(orjson.dumps(offered[n])) <= COMPACT_TOOL_CHARS for n in distractors)
        offered_anywhere |= set(offered)
    assert len(offered_anywhere) >= 12  # across records the model still sees most of the Continue tools


def test_flows_read_long_files_as_a_window_that_holds_the_edited_lines(generated: dict[str, list[dict]]) -> None:
    # verify_records already checks each window equals a fresh read; here: the window is smaller than
    # the file and shows the code the record then edits, so the edit is grounded in what was read.
    windows = 0
    for rec in generated["agentic"] + generated["skills"]:
        ws = record_workspace(rec, Workspace())
        calls = [(c["function"]["name"], c["function"]["arguments"], m) for m in rec["messages"]
                 for c in m.get("tool_calls") or []]
        results = {m["tool_call_id"]: m["content"] for m in rec["messages"] if m["role"] == "tool"}
        for name, args, msg in calls:
            if name != "read" or "offset" not in args:
                continue
            assert len(ws.text(args["file_path"]).splitlines()) > args["limit"]
            window = results[next(c["id"] for c in msg["tool_calls"] if c["function"]["arguments"] is args)]
            shown = "\n".join(line.split("\t", 1)[1] for line in window.splitlines())
            edits = [a["old_string"] for n, a, _ in calls if n == "edit" and a["file_path"] == args["file_path"]]
            if rec["subcategory"] in ("scale_game", "planning"):  # reads to reason or plan, edits nothing
                assert not any(n == "edit" for n, _, _ in calls)
                continue
            assert edits and all(old.rstrip("\n") in shown for old in edits)
            windows += 1
    assert windows > 50


def test_tool_use_has_parallel_calls_multi_turn_and_recovery(generated: dict[str, list[dict]]) -> None:
    recs = generated["tool_use"]
    parallel = [r for r in recs if r["subcategory"] == "parallel_execution"]
    assert all(max(len(m.get("tool_calls") or []) for m in r["messages"]) >= 2 for r in parallel)
    multi = [r for r in recs if r["subcategory"] == "multi_turn"]
    assert all(sum(m["role"] == "user" for m in r["messages"]) >= 2 for r in multi)
    for r in (r for r in recs if r["subcategory"] == "error_recovery"):
        tools = [m for m in r["messages"] if m["role"] == "tool"]
        assert tools[0]["content"].startswith("error: no such file")
        assert not tools[-1]["content"].startswith("error:")
    names = Counter(c["function"]["name"] for r in recs for m in r["messages"] for c in m.get("tool_calls") or [])
    assert {"read_file", "grep_search", "file_glob_search", "ls", "read_file_range", "run_terminal_command"} <= set(names)
    assert all(isinstance(c["function"]["arguments"], dict)
               for r in recs for m in r["messages"] for c in m.get("tool_calls") or [])


def test_powertools_records_call_every_powertool(generated: dict[str, list[dict]]) -> None:
    names = Counter(c["function"]["name"] for r in generated["powertools"] for m in r["messages"]
                    for c in m.get("tool_calls") or [])
    assert {"index", "goto_definition", "find_references", "functions", "classes", "stats"} <= set(names)


def test_same_seed_gives_the_same_bytes(host: PluginHost, tmp_path: Path) -> None:
    digests = [generate_category(host.registry.categories["agentic"], host.registry, tmp_path / str(i), seed=7).sha256
               for i in range(2)]
    assert digests[0] == digests[1]
    other = generate_category(host.registry.categories["agentic"], host.registry, tmp_path / "x", seed=8).sha256
    assert other != digests[0]


def test_a_call_that_fails_to_execute_drops_the_record_and_is_counted(host: PluginHost) -> None:
    from factory.authoring.dialog import GROUNDING_STATS
    from factory.authoring.generator import SubcategoryGenerator

    def flaky(rng, d):
        path = "src/shoplite/cart.py" if rng.random() < 0.5 else "src/shoplite/nowhere.py"
        d.user(f"Read {path} #{rng.random()}")
        out = d.call("read_file", {"filepath": path})
        d.say(f"{len(out.splitlines())} lines")

    ctx = category_context(host.registry.categories["tool_use"], host.registry, seed=1)
    ctx.category = "flaky_probe"
    gen = SubcategoryGenerator({"probe": flaky})
    records = []
    for ex in gen.generate(ctx, "probe", 20):
        records.append(ex)
        if len(records) == 20:
            break
    stats = GROUNDING_STATS["flaky_probe"]
    assert all("nowhere" not in ex.messages[0].content for ex in records)
    assert stats.failed["read_file: no such file or directory: src/shoplite/nowhere.py"] == stats.proposed - 20
    assert 0.2 < stats.pass_rate < 0.8


def test_grounding_follows_a_repository_the_user_names(host: PluginHost, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "geometry.py").write_text(
        "class Point:\n    def norm(self) -> float:\n        return 0.0\n\n\ndef area(w: float, h: float) -> float:\n"
        "    return w * h\n\n\ndef perimeter(w: float, h: float) -> float:\n    return 2 * (w + h)\n")
    (repo / "pkg" / "shapes.py").write_text("from pkg.geometry import area\n\n\nclass Square:\n"
                                            "    def size(self) -> float:\n        return area(1, 1)\n")
    monkeypatch.setenv("FACTORY_GROUNDING_REPO", str(repo))
    result = generate_category(host.registry.categories["powertools"], host.registry, tmp_path / "out", seed=3)
    recs = [orjson.loads(line) for line in result.path.read_bytes().splitlines()]
    outputs = "\n".join(m["content"] for r in recs for m in r["messages"] if m["role"] == "tool")
    assert "pkg/geometry.py" in outputs and "shoplite" not in outputs
    report = verify_records(recs, Workspace(repo))
    assert report.checked >= 100 and report.pass_rate == 1.0
    assert all(c["function"]["name"] in READ_ONLY_TOOLS for r in recs for m in r["messages"]
               for c in m.get("tool_calls") or [])


def test_categories_have_room_to_grow_to_three_times_their_default_counts(host: PluginHost, tmp_path: Path) -> None:
    for name, targets in AGENT_CATEGORIES.items():
        result = generate_category(host.registry.categories[name], host.registry, tmp_path, seed=11,
                                   count=3 * sum(targets.values()))
        assert result.count == 3 * sum(targets.values()), name
