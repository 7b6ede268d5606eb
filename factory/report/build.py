"""The dataset card (``README.md`` with Hugging Face YAML metadata) and a self-contained HTML report
with plots: category mix, token lengths per category, tool usage, score distributions, and what
merge dropped. Both go to ``DIR/report/``; plots are PNGs embedded in the HTML (matplotlib, Agg).

Inputs are what the other stages leave in DIR: the category files, ``merged/merge_report.json``,
``export/*/export_report.json`` and, when given, a :class:`factory.quality.tokens.TokenReport` (token
lengths are measured by ``factory validate --tokenizer``; the report does not re-tokenize unless
asked to).
"""

from __future__ import annotations

import base64
import html
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import yaml

from factory.errors import FactoryError
from factory.store.jsonl import atomic_write, read_jsonl, write_json


@dataclass
class DatasetSummary:
    """One streaming pass over the category files."""

    categories: Counter = field(default_factory=Counter)
    subcategories: Counter = field(default_factory=Counter)
    tools: Counter = field(default_factory=Counter)
    labels: Counter = field(default_factory=Counter)
    scores: dict[str, list[float]] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)
    providers: dict[str, Counter] = field(default_factory=dict)  # category -> provider/model counts
    variety: dict[str, Any] = field(default_factory=dict)  # category -> factory.quality.variety.Variety

    @classmethod
    def of(cls, paths: list[Path]) -> DatasetSummary:
        from factory.quality.variety import Variety, kit_nouns

        nouns = kit_nouns()
        s = cls()
        for path in paths:
            n = 0
            for _line, rec in read_jsonl(path, strict=False):
                if not isinstance(rec, dict):
                    continue
                n += 1
                cat = str(rec.get("category", "?"))
                s.categories[cat] += 1
                s.subcategories[f"{cat}/{rec.get('subcategory', '')}"] += 1
                s.labels[str(rec.get("label"))] += 1
                meta = rec.get("meta") if isinstance(rec.get("meta"), dict) else {}
                who = str(meta.get("provider") or "?") + (f" {meta['model']}" if meta.get("model") else "")
                s.providers.setdefault(cat, Counter())[who] += 1
                s.variety.setdefault(cat, Variety()).add(rec, nouns)
                for m in rec.get("messages") or []:
                    for c in m.get("tool_calls") or []:
                        s.tools[(c.get("function") or {}).get("name", "?")] += 1
                for dim, v in (rec.get("scores") or {}).items():
                    if isinstance(v, (int, float)) and len(s.scores.setdefault(dim, [])) < 200_000:
                        s.scores[dim].append(float(v))
            s.files[path.name] = n
        return s


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def make_plots(summary: DatasetSummary, token_lengths: dict[str, list[int]] | None,
               merge_report: dict | None) -> dict[str, str]:
    """Title -> base64 PNG. A plot whose data is missing is left out, never drawn empty."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots: dict[str, str] = {}
    if summary.categories:
        fig, ax = plt.subplots(figsize=(7, 3))
        names = sorted(summary.categories)
        ax.bar(names, [summary.categories[n] for n in names], color="#4c72b0")
        ax.set_ylabel("records")
        plt.setp(ax.get_xticklabels(), rotation=40, ha="right", fontsize=8)
        plots["Category mix"] = _png(fig)
    if token_lengths:
        cats = sorted(token_lengths)
        fig, axes = plt.subplots(len(cats), 1, figsize=(7, 1.8 * len(cats)), squeeze=False)
        for ax, cat in zip(axes[:, 0], cats):
            ax.hist(token_lengths[cat], bins=40, color="#55a868")
            ax.set_title(cat, fontsize=9, loc="left")
            ax.set_xlabel("tokens")
        fig.tight_layout()
        plots["Token lengths per category"] = _png(fig)
    if summary.tools:
        fig, ax = plt.subplots(figsize=(7, max(2.5, 0.28 * len(summary.tools))))
        items = summary.tools.most_common()[::-1]
        ax.barh([k for k, _ in items], [v for _, v in items], color="#c44e52")
        ax.set_xlabel("tool calls")
        plots["Tool usage"] = _png(fig)
    if summary.scores:
        fig, ax = plt.subplots(figsize=(7, 3))
        for dim, values in sorted(summary.scores.items()):
            ax.hist(values, bins=20, alpha=0.5, label=dim)
        ax.legend(fontsize=8)
        ax.set_xlabel("score")
        plots["Score distributions"] = _png(fig)
    if merge_report and merge_report.get("dropped"):
        fig, ax = plt.subplots(figsize=(7, 2.5))
        items = sorted(merge_report["dropped"].items(), key=lambda kv: kv[1])
        ax.barh([k for k, _ in items], [v for _, v in items], color="#8172b2")
        ax.set_xlabel("records dropped by merge")
        plots["What merge dropped"] = _png(fig)
    return plots


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "n>1M"


def card_metadata(data_dir: Path, license: str = "apache-2.0") -> dict[str, Any]:
    """Hugging Face dataset-card YAML: configs (paths relative to DIR, the dataset root), split
    sizes, license, size category."""
    configs, info = [], []
    merged = data_dir / "merged"
    layouts = [("default", merged, "")]
    for p in sorted((data_dir / "export").glob("*")):
        if p.is_dir():  # a format's main files, and its KTO files where it has them (sharegpt)
            layouts += [(p.name, p, ""), (f"{p.name}-kto", p, "kto_")]
    total = 0
    for name, folder, prefix in layouts:
        files = [(split, folder / f"{prefix}{fname}") for split, fname in
                 (("train", "train.jsonl"), ("validation", "eval.jsonl"), ("validation", "valid.jsonl"))
                 if (folder / f"{prefix}{fname}").exists()]
        if not files:
            continue
        configs.append({"config_name": name, "data_files": [
            {"split": split, "path": str(path.relative_to(data_dir))} for split, path in files]})
        splits = []
        for split, path in files:
            n = sum(1 for _ in read_jsonl(path))
            splits.append({"name": split, "num_examples": n, "num_bytes": path.stat().st_size})
            if name == "default":
                total += n
        info.append({"config_name": name, "splits": splits})
    return {"license": license, "language": ["en"], "task_categories": ["text-generation"],
            "tags": ["tool-calling", "code", "synthetic", "factory"], "size_categories": [_size_category(total)],
            "configs": configs, "dataset_info": info}


LIMITS = [
    "Template records come from hand-written banks: the task-sentence and answer-shape counts above are "
    "how many distinct shapes (names, paths, numbers and domain nouns masked) a model sees, not how many "
    "records. A model trained only on them learns those shapes; it does not learn open-ended reasoning.",
    "Grounded records (tool results executed for real) all run against the fixture repository shipped "
    "with factory (or `FACTORY_GROUNDING_REPO`): a model sees one project's files many times.",
    "Results of tools that cannot run offline (a shell, the web) are written by the templates, and "
    "records that need a web result end on the call instead of inventing one.",
    "Every record passed the factory's checks (schema, tool calls against their schemas, claims against "
    "the results they follow, the tools' preconditions, listed conventions); run `factory check` for the "
    "execution and build stages and the figures per category.",
]
LLM_PATH = [
    "`factory generate CATEGORY --provider openai --model MODEL --count N` writes a category with an LLM "
    "(Anthropic, OpenAI or any OpenAI-compatible server); the same checks apply.",
    "`factory score FILE` then `factory enhance FILE` rewrite the records a judge scores low, in "
    "resumable, cached rounds.",
    "`factory ingest claude-logs|claude-ai|git-history|repo-fim ...` turns real sessions, history and code into records.",
]


def _profiles(registry: Any) -> dict[str, Any]:
    """Category -> its spec (description, held-out flag), where the registry knows it."""
    if registry is None:
        return {}
    from factory.generate.specs import category_specs

    try:
        return category_specs(registry)
    except Exception:  # noqa: BLE001 - a broken spec is `factory plugins`'s to report, not the card's
        return {}


def write_card(data_dir: Path, out_dir: Path, summary: DatasetSummary, token_stats: dict | None,
               merge_report: dict | None, license: str = "apache-2.0", registry: Any = None) -> Path:
    meta = card_metadata(data_dir, license)
    specs = _profiles(registry)
    lines = ["---", yaml.safe_dump(meta, sort_keys=False).rstrip(), "---", "",
             "# Fine-tuning data for coding and tool-using assistants", "",
             f"Generated, checked, merged and exported by `factory` in `{data_dir.resolve().name}`. Paths in the "
             "metadata are relative to the dataset directory (copy this card there to publish it).", "",
             "## Categories", "",
             "Task sentences and answer shapes are distinct texts after masking names, paths, numbers and domain "
             "nouns; \"90%\" is how many of them cover nine tenths of their uses.", "",
             "| category | records | what it teaches | made by | task sentences (90%) | answer shapes (90%) |",
             "|---|---:|---|---|---:|---:|"]
    for c, n in sorted(summary.categories.items()):
        spec = specs.get(c)
        what = (spec.description if spec else "").replace("|", "/") + (" **Held out: never trained on.**"
                                                                         if spec and spec.held_out else "")
        made = ", ".join(f"{p} ({k:,})" if len(summary.providers.get(c, {})) > 1 else p
                         for p, k in summary.providers.get(c, Counter()).most_common(3))
        v = summary.variety[c].summary() if c in summary.variety else None
        sent = f"{v['task_sentences']:,} ({v['task_cover90']:,})" if v else "-"
        ans = f"{v['answer_texts']:,} ({v['answer_cover90']:,})" if v else "-"
        lines.append(f"| {c} | {n:,} | {what} | {made} | {sent} | {ans} |")
    subs = Counter(key.split("/", 1)[0] for key in summary.subcategories)
    lines += ["", "Subcategories per category: " + ", ".join(f"{c} {k}" for c, k in sorted(subs.items())) + "."]
    lines += ["", "## What this data cannot teach", "", *[f"- {x}" for x in LIMITS],
              "", "## More and better data: the LLM path", "", *[f"- {x}" for x in LLM_PATH]]
    if merge_report:
        lines += ["", "## Merge", "",
                  f"{merge_report['read']:,} records read, {merge_report['kept']:,} kept: "
                  f"train {merge_report['train']['count']:,}, eval {merge_report['eval']['count']:,} "
                  f"(seed {merge_report['options']['seed']}, eval share {merge_report['options']['eval_frac']}).", ""]
        lines += [f"- dropped {n:,}: {why}" for why, n in sorted(merge_report["dropped"].items())]
    if token_stats:
        lines += ["", f"## Token lengths ({token_stats['tokenizer']}, chat template with tools)", "",
                  "| category | records | p50 | p95 | max |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {c} | {s['count']:,} | {s['p50']} | {s['p95']} | {s['max']} |"
                  for c, s in token_stats["stats"].items()]
    lines += ["", "## Formats", "", "See `export/<format>/export_report.json` for rows written, rows skipped "
              "with reasons, and self-check results.", ""]
    path = out_dir / "README.md"
    with atomic_write(path, "w") as fh:
        fh.write("\n".join(lines))
    return path


def write_html(out_dir: Path, plots: dict[str, str], summary: DatasetSummary, merge_report: dict | None,
               exports: dict[str, dict]) -> Path:
    esc = html.escape
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>factory dataset report</title>",
             "<style>body{font-family:sans-serif;max-width:900px;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:2px 8px}img{max-width:100%}</style></head><body>",
             "<h1>Dataset report</h1>", "<h2>Files</h2><table><tr><th>file</th><th>records</th></tr>"]
    parts += [f"<tr><td>{esc(f)}</td><td>{n:,}</td></tr>" for f, n in sorted(summary.files.items())]
    parts.append("</table>")
    if merge_report:
        parts.append(f"<p id='merge-summary'>merge: {merge_report['read']:,} read, {merge_report['kept']:,} kept "
                     f"(train {merge_report['train']['count']:,}, eval {merge_report['eval']['count']:,})</p>")
    if exports:
        parts.append("<h2>Exports</h2><table><tr><th>format</th><th>rows</th><th>self-checks</th></tr>")
        for name, rep in sorted(exports.items()):
            rows = sum(s.get("rows_written", 0) for s in rep["splits"].values())
            checks = rep.get("checks")
            state = "-" if not checks else ("passed" if not checks["failures"] else f"FAILED {checks['failures']}")
            parts.append(f"<tr><td>{esc(name)}</td><td>{rows:,}</td><td>{esc(str(state))}</td></tr>")
        parts.append("</table>")
    for title, png in plots.items():
        slug = title.lower().replace(" ", "-")
        parts.append(f"<h2>{esc(title)}</h2><img class='plot' id='{slug}' alt='{esc(title)}' "
                     f"src='data:image/png;base64,{png}'>")
    parts.append("</body></html>")
    path = out_dir / "report.html"
    with atomic_write(path, "w") as fh:
        fh.write("\n".join(parts))
    return path


def build_report(data_dir: str | Path, category_paths: list[Path], token_report: Any | None = None,
                 license: str = "apache-2.0") -> dict[str, Path]:
    """Write DIR/report/README.md, report.html and report.json; returns their paths."""
    data_dir = Path(data_dir)
    out_dir = data_dir / "report"
    summary = DatasetSummary.of(category_paths)
    if not sum(summary.categories.values()):  # a card of nothing would replace a real one
        where = ", ".join(p.name for p in category_paths) or "no *.jsonl file"
        raise FactoryError(f"{data_dir}: no record to report on ({where}); run `factory run --data {data_dir}` "
                           "first; an existing report/ was left as it was")
    out_dir.mkdir(parents=True, exist_ok=True)
    merge_path = data_dir / "merged" / "merge_report.json"
    merge_report = orjson.loads(merge_path.read_bytes()) if merge_path.exists() else None
    exports = {p.parent.name: orjson.loads(p.read_bytes()) for p in sorted((data_dir / "export").glob("*/export_report.json"))}
    token_stats = None
    if token_report is not None:
        token_stats = {"tokenizer": token_report.tokenizer,
                       "stats": {k: v.as_dict() for k, v in token_report.stats().items()}}
    plots = make_plots(summary, token_report.lengths if token_report is not None else None, merge_report)
    registry = None
    try:
        from factory.host import default_registry

        registry = default_registry()
    except Exception:  # noqa: BLE001 - without a registry the card just has no descriptions
        registry = None
    paths = {"card": write_card(data_dir, out_dir, summary, token_stats, merge_report, license, registry),
             "html": write_html(out_dir, plots, summary, merge_report, exports)}
    write_json(out_dir / "report.json", {"categories": dict(summary.categories), "tools": dict(summary.tools),
                                         "labels": dict(summary.labels), "tokens": token_stats,
                                         "plots": list(plots), "merge": merge_report and merge_report["dropped"]})
    paths["json"] = out_dir / "report.json"
    from factory.store.provenance import record_inputs

    record_inputs(out_dir, "report", [*category_paths, merge_path, *sorted((data_dir / "export").glob("*/export_report.json"))],
                  whole_dataset=True)
    return paths
