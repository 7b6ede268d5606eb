"""The main job and single-category regeneration, through the real CLI."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter
from pathlib import Path

from factory.agents import spec_path
from factory.generate.specs import load_spec
from factory.schemas import Example
from tests.helpers.cli import CORE_COUNTS, ROOT, factory_cli


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_run_writes_the_core_categories_at_their_default_counts_with_a_manifest(main_job_dir: Path) -> None:
    manifest = json.loads((main_job_dir / "manifest.json").read_text())
    for name, count in CORE_COUNTS.items():
        path = main_job_dir / name
        assert sum(1 for _ in path.open()) == count, name
        entry = manifest["files"][name]
        assert entry["count"] == count
        assert entry["sha256"] == _sha(path)
        category = name.removesuffix(".jsonl")
        spec = load_spec(spec_path(category))
        assert entry["spec"] == {"name": category, "hash": spec.hash, "version": spec.version}
        assert entry["provider"] == "template"
        assert entry["seed"] == 42
        assert sum(entry["subcategories"].values()) == count
        assert entry["subcategories"] == spec.targets


def test_every_record_carries_provenance_and_a_stable_content_id(main_job_dir: Path) -> None:
    for name in CORE_COUNTS:
        for rec in _records(main_job_dir / name)[:300]:
            ex = Example.model_validate(rec)
            assert ex.id == ex.compute_id()
            assert ex.meta.spec == name.removesuffix(".jsonl")
            assert ex.meta.spec_hash and ex.meta.seed == 42 and ex.meta.provider == "template"


def test_no_two_records_of_a_category_share_an_id_or_a_user_prompt(main_job_dir: Path) -> None:
    for name in CORE_COUNTS:
        recs = _records(main_job_dir / name)
        ids = Counter(r["id"] for r in recs)
        prompts = Counter("\x1e".join(m["content"] for m in r["messages"] if m["role"] == "user") for r in recs)
        assert ids.most_common(1)[0][1] == 1, name
        assert prompts.most_common(1)[0][1] == 1, name


def test_every_tool_of_the_continue_toolset_is_called_in_tool_core(main_job_dir: Path) -> None:
    toolset = json.loads((ROOT / "schemas/toolsets/continue.json").read_text())
    called = Counter()
    parallel = 0
    for rec in _records(main_job_dir / "tool_core.jsonl"):
        turns = [m["tool_calls"] for m in rec["messages"] if m.get("tool_calls")]
        calls = [c for turn in turns for c in turn]
        parallel += any(len(turn) > 1 for turn in turns)
        called.update(c["function"]["name"] for c in calls)
        offered = {t["function"]["name"] for t in rec["tools"]}
        assert {c["function"]["name"] for c in calls} <= offered
        # a record without a call is one of the behaviours that should not call (plain answer, missing tool)
        assert calls or rec["meta"]["behaviour"] in ("plain_answer", "tool_not_offered")
    assert {t["function"]["name"] for t in toolset} == set(called)
    assert parallel == load_spec(ROOT / "agents" / "tool_core.md").targets["parallel"]


def test_tool_neg_records_each_carry_one_named_defect_and_a_correct_call(main_job_dir: Path) -> None:
    kinds = Counter()
    for rec in _records(main_job_dir / "tool_neg.jsonl"):
        defect = rec["meta"]["defect"]
        kinds[defect["kind"]] += 1
        assert rec["label"] is False
        assert defect["correct"] and defect["correct"][0]["function"]["name"] in {
            t["function"]["name"] for t in rec["tools"]}
    assert set(kinds) == {"wrong_tool", "invented_tool", "missing_required", "wrong_type",
                          "malformed_json", "prose_instead_of_call"}


def test_eval_prompts_never_repeat_a_training_prompt(main_job_dir: Path) -> None:
    def prompt(r: dict) -> str:
        return "\x1e".join(m["content"] for m in r["messages"] if m["role"] == "user")

    train = {prompt(r) for name in CORE_COUNTS if name != "eval.jsonl" for r in _records(main_job_dir / name)}
    evals = [prompt(r) for r in _records(main_job_dir / "eval.jsonl")]
    assert len(evals) == 1000 and not train.intersection(evals)


def test_regenerating_one_category_leaves_every_other_file_byte_identical(main_job_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "data"
    shutil.copytree(main_job_dir, out)
    before = {p.name: _sha(p) for p in out.glob("*.jsonl")}
    manifest_before = json.loads((out / "manifest.json").read_text())["files"]

    factory_cli("generate", "tool_core", "--count", "500", "--seed", "7", "--out", out, check=True)

    after = {p.name: _sha(p) for p in out.glob("*.jsonl")}
    manifest_after = json.loads((out / "manifest.json").read_text())["files"]
    for name in before:
        if name != "tool_core.jsonl":
            assert after[name] == before[name], name
            assert manifest_after[name] == manifest_before[name], name
    assert sum(1 for _ in (out / "tool_core.jsonl").open()) == 500
    assert manifest_after["tool_core.jsonl"]["seed"] == 7
    assert manifest_after["tool_core.jsonl"]["count"] == 500
    assert manifest_after["tool_core.jsonl"]["sha256"] == after["tool_core.jsonl"]

    first = after["tool_core.jsonl"]
    factory_cli("generate", "tool_core", "--count", "500", "--seed", "7", "--out", out, check=True)
    assert _sha(out / "tool_core.jsonl") == first  # same seed, same bytes
    factory_cli("generate", "tool_core", "--count", "500", "--seed", "8", "--out", out, check=True)
    assert _sha(out / "tool_core.jsonl") != first


def test_counts_come_from_the_spec_and_can_be_overridden_by_flag_and_config(tmp_path: Path) -> None:
    (tmp_path / "factory.toml").write_text('out = "cfg_out"\nseed = 3\n[counts]\nguardrail = 70\n')
    factory_cli("run", "--only", "guardrail", "--only", "tool_neg", "--count", "tool_neg=30",
                cwd=tmp_path, check=True)
    out = tmp_path / "cfg_out"
    assert sum(1 for _ in (out / "guardrail.jsonl").open()) == 70
    assert sum(1 for _ in (out / "tool_neg.jsonl").open()) == 30
    manifest = json.loads((out / "manifest.json").read_text())["files"]
    assert manifest["guardrail.jsonl"]["seed"] == 3
    # Proportions follow the spec's subcategory targets.
    assert sum(manifest["guardrail.jsonl"]["subcategories"].values()) == 70
    assert len(manifest["guardrail.jsonl"]["subcategories"]) == 7


def test_validate_accepts_every_record_the_main_job_wrote(main_job_dir: Path) -> None:
    proc = factory_cli("validate", *sorted(main_job_dir.glob("*.jsonl")))
    assert proc.returncode == 0, proc.stderr[:2000]
    assert "tool_core.jsonl: 10000 read, 10000 valid, 0 invalid" in proc.stdout


def test_status_reports_records_on_disk_and_fresh_specs(main_job_dir: Path) -> None:
    proc = factory_cli("status", "--out", main_job_dir, check=True)
    lines = {ln.split()[0]: ln for ln in proc.stdout.splitlines()[1:] if ln.strip()}
    for name, count in CORE_COUNTS.items():
        row = lines[name.removesuffix(".jsonl")]
        assert str(count) in row.split() and row.rstrip().endswith("fresh")


def test_core_categories_hold_real_code_and_stay_under_five_percent_near_duplicates(main_job_dir: Path) -> None:
    from factory.quality.codecheck import check_records
    from factory.quality.neardup import near_duplicate_share

    for name in CORE_COUNTS:
        recs = _records(main_job_dir / name)
        problems = [p for p in check_records(recs) if p]
        assert problems == [], (name, problems[:3])
        share = near_duplicate_share(recs).share
        assert share < 0.05, (name, share)


def test_every_core_record_renders_within_2048_qwen_tokens_with_its_tools(main_job_dir: Path) -> None:
    # The bar: < 2048 tokens per record, counted as `factory validate --tokenizer qwen2.5` does:
    # the record rendered through the Qwen2.5 chat template with its offered tools.
    from factory.quality.tokens import load_tokenizer, scan_token_lengths

    paths = [main_job_dir / name for name in CORE_COUNTS]
    report = scan_token_lengths(paths, load_tokenizer("qwen2.5"), max_tokens=2048, roundtrip=False)
    assert report.render_errors == []
    assert sum(len(v) for v in report.lengths.values()) == sum(CORE_COUNTS.values())
    assert [f"{f.path}:{f.line}: {f.reason}" for f in report.over_limit] == []
