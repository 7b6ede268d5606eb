"""The dataset card (``README.md`` with Hugging Face YAML metadata) and a self-contained HTML report
with plots: category mix, token lengths of every category on one axis, tool usage per tool set with
the deliberate negatives marked, score distributions, and what was dropped and why (generation
rejects and merge drops). Both go to ``DIR/report/``; plots are SVGs inlined in the HTML (matplotlib),
and their bars link into ``factory view DIR`` (``viewer`` URL, default http://127.0.0.1:8765): a
category's bar opens its records, a tool's bar the records that call it, a reason's bar what it
dropped.

Inputs are what the other stages leave in DIR: the category files, ``merged/merge_report.json``,
``export/*/export_report.json`` and, when given, a :class:`factory.quality.tokens.TokenReport` (token
lengths are measured by ``factory validate --tokenizer``; the report does not re-tokenize unless
asked to).
"""

from __future__ import annotations

import html
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

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
    tool_calls: Counter = field(default_factory=Counter)  # (category, tool, in a label-false record)
    samples: dict[str, dict[str, Any]] = field(default_factory=dict)  # category -> its first positive record

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
                negative = rec.get("label") is False
                if not negative and cat not in s.samples:
                    s.samples[cat] = rec
                for m in rec.get("messages") or []:
                    for c in m.get("tool_calls") or []:
                        name = (c.get("function") or {}).get("name", "?")
                        s.tools[name] += 1
                        s.tool_calls[(cat, name, negative)] += 1
                for dim, v in (rec.get("scores") or {}).items():
                    if isinstance(v, (int, float)) and len(s.scores.setdefault(dim, [])) < 200_000:
                        s.scores[dim].append(float(v))
            s.files[path.name] = n
        return s


VIEWER = "http://127.0.0.1:8765"


def _svg(fig: Any) -> str:
    """The figure as inline SVG (its links kept), without the XML prolog and with ids made unique."""
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    prefix = f"p{id(fig) % 100000}"  # clip-path ids repeat between figures of one page
    return re.sub(r'(id="|url\(#|xlink:href="#)([^")]+)', lambda m: f"{m.group(1)}{prefix}{m.group(2)}", text)


def _link(viewer: str | None, table: str, **params: Any) -> str | None:
    if not viewer:
        return None
    return f"{viewer.rstrip('/')}/dataset/{table}" + (f"?{urlencode(params)}" if params else "")


def make_plots(summary: DatasetSummary, token_lengths: dict[str, list[int]] | None,
               merge_report: dict | None, rejections: dict[str, int] | None = None,
               toolsets: dict[str, str] | None = None, viewer: str | None = VIEWER) -> dict[str, str]:
    """Title -> inline SVG whose bars link into the viewer. A plot whose data is missing is left out,
    never drawn empty."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"  # text stays text: smaller, searchable
    plots: dict[str, str] = {}
    if summary.categories:
        fig, ax = plt.subplots(figsize=(8, 3))
        names = sorted(summary.categories)
        bars = ax.bar(names, [summary.categories[n] for n in names], color="#4c72b0")
        for bar, name in zip(bars, names):
            bar.set_url(_link(viewer, "records", category=name))
        ax.set_ylabel("records")
        plt.setp(ax.get_xticklabels(), rotation=40, ha="right", fontsize=8)
        plots["Category mix"] = _svg(fig)
    if token_lengths:
        cats = sorted(token_lengths, reverse=True)
        fig, ax = plt.subplots(figsize=(8, max(2.5, 0.32 * len(cats) + 1)))
        import inspect
        import random

        flat = ({"orientation": "horizontal"} if "orientation" in inspect.signature(ax.boxplot).parameters
                else {"vert": False})
        box = ax.boxplot([token_lengths[c] for c in cats], whis=(5, 95), showfliers=False,
                         patch_artist=True, widths=0.6, **flat)
        for patch, cat in zip(box["boxes"], cats):
            patch.set_facecolor("#55a868")
            patch.set_alpha(0.55)
            patch.set_url(_link(viewer, "records", category=cat, _sort_desc="tokens"))
        rng = random.Random(0)  # up to 300 records a category drawn as points over its box
        for i, cat in enumerate(cats, 1):
            values = token_lengths[cat]
            shown = values if len(values) <= 300 else rng.sample(list(values), 300)
            ax.scatter(shown, [i + rng.uniform(-0.22, 0.22) for _ in shown], s=9, color="#55a868", zorder=3,
                       linewidths=0)
        ax.set_yticks(range(1, len(cats) + 1), cats, fontsize=8)
        ax.set_xlabel("tokens (box: p25-p75, line: median, whiskers: p5-p95)")
        ax.grid(axis="x", alpha=0.3)
        plots["Token lengths per category"] = _svg(fig)
    if summary.tool_calls:
        sets = toolsets or {}
        per: dict[tuple[str, str], list[int]] = {}
        for (cat, tool, negative), n in summary.tool_calls.items():
            per.setdefault((sets.get(cat, "other"), tool), [0, 0])[1 if negative else 0] += n
        keys = sorted(per, key=lambda k: (k[0], -sum(per[k])), reverse=True)
        labels = [f"{ts}: {tool}" for ts, tool in keys]
        fig, ax = plt.subplots(figsize=(8, max(2.5, 0.22 * len(keys) + 1)))
        pos = ax.barh(labels, [per[k][0] for k in keys], color="#c44e52", label="in records labelled good")
        neg = ax.barh(labels, [per[k][1] for k in keys], left=[per[k][0] for k in keys], color="#999999",
                      hatch="//", label="in negatives (deliberate defects, label false)")
        for bar, (_, tool) in zip(pos, keys):
            bar.set_url(_link(viewer, "records", _search=f'"{tool}"', label="true"))
        for bar, (_, tool) in zip(neg, keys):
            bar.set_url(_link(viewer, "records", _search=f'"{tool}"', label="false"))
        ax.set_xlabel("tool calls, per tool set (the spec's toolset)")
        plt.setp(ax.get_yticklabels(), fontsize=7)
        ax.legend(fontsize=8, loc="lower right")
        plots["Tool usage per tool set"] = _svg(fig)
    if summary.scores:
        fig, ax = plt.subplots(figsize=(8, 3))
        for dim, values in sorted(summary.scores.items()):
            ax.hist(values, bins=20, alpha=0.5, label=dim)
        ax.legend(fontsize=8)
        ax.set_xlabel("score")
        plots["Score distributions"] = _svg(fig)
    dropped = (merge_report or {}).get("dropped") or {}
    rejected = rejections or {}
    if dropped or rejected:
        items = ([(f"generate: {r}", n, _link(viewer, "rejections", reason=r)) for r, n in rejected.items()]
                 + [(f"merge: {r}", n, _link(viewer, "dropped", reason__startswith=r)) for r, n in dropped.items()])
        items.sort(key=lambda kv: kv[1])
        fig, ax = plt.subplots(figsize=(8, max(2.5, 0.3 * len(items) + 1)))
        bars = ax.barh([k[:70] for k, _, _ in items], [n for _, n, _ in items], color="#8172b2")
        for bar, (_, _, url) in zip(bars, items):
            bar.set_url(url)
        ax.set_xlabel("records dropped")
        plt.setp(ax.get_yticklabels(), fontsize=8)
        plots["What was dropped, and why"] = _svg(fig)
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


def _sample(rec: dict[str, Any]) -> list[str]:
    """A record's first exchange for the card: the request, then the first answer or call."""
    msgs = [m for m in rec.get("messages") or [] if isinstance(m, dict)]
    user = next((m.get("content") or "" for m in msgs if m.get("role") == "user"), "")
    reply = next((m for m in msgs if m.get("role") == "assistant"), {})
    if reply.get("tool_calls"):
        fn = reply["tool_calls"][0].get("function") or {}
        answer = f"{fn.get('name')}({orjson.dumps(fn.get('arguments')).decode()})"
    else:
        answer = reply.get("content") or ""

    def cut(text: str, n: int) -> str:
        text = text.strip()
        return text if len(text) <= n else text[:n].rstrip() + " ..."

    return ["```text", f"user: {cut(user, 400)}", f"assistant: {cut(answer, 600)}", "```"]


def write_card(data_dir: Path, out_dir: Path, summary: DatasetSummary, token_stats: dict | None,
               merge_report: dict | None, license: str = "apache-2.0", registry: Any = None,
               manifest: dict | None = None) -> Path:
    meta = card_metadata(data_dir, license)
    specs = _profiles(registry)
    name = data_dir.resolve().name
    total = sum(summary.categories.values())
    lines = ["---", yaml.safe_dump(meta, sort_keys=False).rstrip(), "---", "",
             f"# {name}: fine-tuning data for coding and tool-using assistants", "",
             f"{total:,} records in {len(summary.categories)} categories -- tool calls, house style, refusals and "
             "agent work -- generated, checked, merged and exported by `factory`. Paths in the "
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
    if merge_report:
        train = merge_report["train"]["by_category"]
        evals = merge_report["eval"]["by_category"]
        excluded = set(merge_report["options"].get("exclude_categories") or [])
        lines += ["", "## Splits", "", "| category | train | validation | not in either |", "|---|---:|---:|---|"]
        for c in sorted(summary.categories):
            why = "held out (evaluation only)" if c in excluded else ""
            lines.append(f"| {c} | {train.get(c, 0):,} | {evals.get(c, 0):,} | {why} |")
    if summary.samples:
        lines += ["", "## A sample per category", "", "The first record of each category labelled good, cut "
                  "short (`factory view` shows every record whole).", ""]
        for c in sorted(summary.samples):
            lines += [f"**{c}** / {summary.samples[c].get('subcategory', '')}", "", *_sample(summary.samples[c]), ""]
    files = (manifest or {}).get("files") or {}
    if files:
        lines += ["", "## How it was made", "", "| file | records | provider | model | seed | spec |",
                  "|---|---:|---|---|---:|---|"]
        for fname, e in sorted(files.items()):
            spec = e.get("spec") or {}
            lines.append(f"| {fname} | {e.get('count', 0):,} | {e.get('provider') or '-'} | {e.get('model') or '-'} | "
                         f"{e.get('seed', '-')} | {spec.get('name', '-')}@{spec.get('hash', '-')} |")
        lines += ["", "The spec hash names the agent spec (agents/*.md) a file was made from: the same spec, "
                  "seed and provider give the same records."]
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
              "with reasons, and self-check results.", "",
              "## License", "", f"`{license}` for the records. Tool schemas taken from other projects keep their "
              "own licence and attribution (the Continue extension's tool definitions: Apache-2.0).", ""]
    path = out_dir / "README.md"
    with atomic_write(path, "w") as fh:
        fh.write("\n".join(lines))
    return path


def write_html(out_dir: Path, plots: dict[str, str], summary: DatasetSummary, merge_report: dict | None,
               exports: dict[str, dict], viewer: str | None = VIEWER) -> Path:
    esc = html.escape
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>factory dataset report</title>",
             "<style>body{font-family:sans-serif;max-width:900px;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:2px 8px}figure.plot{margin:0}figure.plot svg{max-width:100%;"
             "height:auto}figure.plot a:hover path{opacity:0.7}</style></head><body>",
             "<h1>Dataset report</h1>"]
    if viewer:
        parts.append(f"<p class='viewer-note'>Bars open their records in the viewer at <a href='{esc(viewer)}/'>"
                     f"{esc(viewer)}</a>: start it with <code>factory view {esc(out_dir.parent.name)}</code>.</p>")
    parts.append("<h2>Files</h2><table><tr><th>file</th><th>records</th></tr>")
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
    for title, svg in plots.items():
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        parts.append(f"<h2>{esc(title)}</h2><figure class='plot' id='{slug}' aria-label='{esc(title)}'>{svg}</figure>")
    parts.append("</body></html>")
    path = out_dir / "report.html"
    with atomic_write(path, "w") as fh:
        fh.write("\n".join(parts))
    return path


def build_report(data_dir: str | Path, category_paths: list[Path], token_report: Any | None = None,
                 license: str = "apache-2.0", viewer: str | None = VIEWER) -> dict[str, Path]:
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
    registry = None
    try:
        from factory.host import default_registry

        registry = default_registry()
    except Exception:  # noqa: BLE001 - without a registry the card just has no descriptions
        registry = None
    from factory.store.manifest import load_manifest

    manifest = load_manifest(data_dir)
    rejections: Counter = Counter()
    for entry in (manifest.get("files") or {}).values():
        rejections.update(entry.get("rejected") or {})
    toolsets = {c: spec.toolset for c, spec in _profiles(registry).items() if spec.toolset}
    plots = make_plots(summary, token_report.lengths if token_report is not None else None, merge_report,
                       dict(rejections), toolsets, viewer)
    paths = {"card": write_card(data_dir, out_dir, summary, token_stats, merge_report, license, registry, manifest),
             "html": write_html(out_dir, plots, summary, merge_report, exports, viewer)}
    write_json(out_dir / "report.json", {"categories": dict(summary.categories), "tools": dict(summary.tools),
                                         "labels": dict(summary.labels), "tokens": token_stats,
                                         "plots": list(plots), "merge": merge_report and merge_report["dropped"],
                                         "viewer": viewer})
    paths["json"] = out_dir / "report.json"
    from factory.store.provenance import record_inputs

    record_inputs(out_dir, "report", [*category_paths, merge_path, *sorted((data_dir / "export").glob("*/export_report.json"))],
                  whole_dataset=True)
    return paths
