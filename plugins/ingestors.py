"""Built-in ingestors, registered like any plugin's: ``factory ingest claude-logs | claude-ai |
git-history | repo-fim``.

Each declares its click parameters and an ``ingest(report, **values)`` that checks them and returns the
candidates; the host opens the sink (scrub, validate, dedupe, atomic write) and prints the report,
which is also written to ``OUT.report.json``. Library code lives in ``factory.ingest``; it is imported
inside the functions so ``factory --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from factory import hookimpl
from factory.cli.options import executor_params, work_dir_param
from factory.registry import Ingestor

KEEP = click.Option(["--keep"], default="error_resolution,debugging,code_explanation", show_default=True,
                    help="Comma-separated tags a window needs one of to be kept, or 'all'.")
SYSTEM = click.Option(["--system"], default=None, help="A system message to put first in every record.")
LICENSE = (
    click.Option(["--allow-unlicensed"], is_flag=True,
                 help="Ingest a repository with no detectable license (you must have the right)."),
    click.Option(["--refuse-license", "refuse_license"], multiple=True, metavar="SPDX",
                 help="Refuse repositories under this SPDX license id (repeatable)."),
)
REPO = click.Argument(["repo"], type=click.Path(exists=True, file_okay=False, path_type=Path))


def _keep_tags(keep: str) -> frozenset[str]:
    from factory.ingest.claude_logs import TAGS

    wanted = frozenset(t.strip() for t in keep.split(",") if t.strip())
    unknown = wanted - set(TAGS) - {"all"}
    if unknown or not wanted:
        raise click.BadParameter(f"unknown tag(s) {sorted(unknown)}; use {', '.join(TAGS)} or all",
                                 param_hint="--keep")
    return wanted


def _policy(allow_unlicensed: bool, refuse_license: tuple[str, ...]) -> Any:
    from factory.ingest.licenses import LicensePolicy

    return LicensePolicy(refuse_unlicensed=not allow_unlicensed, refused=frozenset(refuse_license))


def claude_logs(report: Any, paths: tuple[Path, ...], keep: str, max_chars: int, max_tool_result_chars: int,
                no_thinking: bool, no_sidechains: bool, system: str | None) -> Any:
    from factory.ingest.claude_logs import ClaudeLogOptions, ingest_claude_logs

    options = ClaudeLogOptions(keep=_keep_tags(keep), max_chars=max_chars, max_tool_result_chars=max_tool_result_chars,
                               include_thinking=not no_thinking, include_sidechains=not no_sidechains,
                               system=system)
    return ingest_claude_logs(paths, report, options)


def claude_ai(report: Any, paths: tuple[Path, ...], keep: str, max_chars: int, system: str | None) -> Any:
    from factory.ingest.claude_ai import ingest_claude_ai
    from factory.ingest.claude_logs import ClaudeLogOptions

    options = ClaudeLogOptions(keep=_keep_tags(keep), max_chars=max_chars, system=system)
    return ingest_claude_ai(list(paths), report, options)


def git_history(report: Any, repo: Path, rev: str, mode: str, max_commits: int | None, min_changed_lines: int,
                max_changed_lines: int, max_files: int, allow_unlicensed: bool, refuse_license: tuple[str, ...]) -> Any:
    from factory.ingest.git_history import MODES, GitHistoryOptions, ingest_git_history

    modes = tuple(m.strip() for m in mode.split(",") if m.strip())
    if not modes or set(modes) - set(MODES):
        raise click.BadParameter(f"use one or more of {', '.join(MODES)}", param_hint="--mode")
    options = GitHistoryOptions(rev=rev, modes=modes, max_commits=max_commits,
                                min_changed_lines=min_changed_lines, max_changed_lines=max_changed_lines,
                                max_files=max_files, license=_policy(allow_unlicensed, refuse_license))
    return ingest_git_history(str(repo), report, options)


def repo_fim(report: Any, repo: Path, per_file: int, max_len: int, max_examples: int | None,
             max_per_language: int | None, seed: int, allow_unlicensed: bool, refuse_license: tuple[str, ...],
             executor: str | None = None, workers: int | None = None, tasks: int | None = None,
             work_dir: Path | None = None) -> Any:
    from factory.config import IngestConfig
    from factory.ingest.fim_engine import ingest_repo_fim_on
    from factory.ingest.repo_fim import FimOptions

    if per_file < 1 or max_len < 64:
        raise click.BadParameter("--per-file must be >= 1 and --max-len >= 64")
    options = FimOptions(per_file=per_file, max_len=max_len, max_examples=max_examples,
                         max_per_language=max_per_language, seed=seed,
                         license=_policy(allow_unlicensed, refuse_license))
    ctx = click.get_current_context(silent=True)
    state = ctx.find_root().obj if ctx is not None else None
    table = state.config.ingest if state is not None and hasattr(state, "config") else IngestConfig()
    engine = table.options(executor, workers, tasks)
    engine.chosen(0, 0)  # a misnamed executor is an error before the sink opens
    return ingest_repo_fim_on(str(repo), report, options, engine, work_dir, echo=click.echo)


@hookimpl
def register_ingestors(register):
    register(Ingestor(
        "claude-logs", "Claude Code session logs -> tool-using conversations", claude_logs,
        params=(
            click.Argument(["paths"], nargs=-1, required=True, type=click.Path(exists=True, path_type=Path)),
            KEEP,
            click.Option(["--max-chars"], type=int, default=24_000, show_default=True,
                         help="Window size; a window never separates a tool call from its result."),
            click.Option(["--max-tool-result-chars"], type=int, default=6_000, show_default=True,
                         help="Longer tool results are truncated with a marker."),
            click.Option(["--no-thinking"], is_flag=True, help="Drop thinking blocks instead of keeping them as reasoning."),
            click.Option(["--no-sidechains"], is_flag=True, help="Skip sub-agent (sidechain) conversations."),
            SYSTEM,
        ),
        help="Claude Code session logs (~/.claude/projects/*/*.jsonl, files or folders) -> records."
             "\n\n\b\nExamples:\n"
             "  factory ingest claude-logs ~/.claude/projects --out data/claude_logs.jsonl\n"
             "  factory ingest claude-logs session.jsonl --out data/session.jsonl --keep all --no-thinking\n"))
    register(Ingestor(
        "git-history", "git commits -> change requests with diffs, diffs with messages", git_history,
        params=(
            REPO,
            click.Option(["--rev"], default="HEAD", show_default=True, help="Revision whose history is read."),
            click.Option(["--mode"], default="change,commit_message", show_default=True,
                         help="Records per commit: change (request -> diff), commit_message (diff -> message)."),
            click.Option(["--max-commits"], type=int, default=None, help="Stop after this many kept commits."),
            click.Option(["--min-changed-lines"], type=int, default=2, show_default=True),
            click.Option(["--max-changed-lines"], type=int, default=400, show_default=True),
            click.Option(["--max-files"], type=int, default=12, show_default=True),
            *LICENSE,
        ),
        help="Commits of a local git repository -> SFT records (merges, bots, trivial and huge changes "
             "skipped)."
             "\n\n\b\nExamples:\n"
             "  factory ingest git-history ../myrepo --out data/git_history.jsonl --max-commits 2000\n"
             "  factory ingest git-history ../myrepo --mode change --rev main --out data/changes.jsonl\n"))
    register(Ingestor(
        "claude-ai", "the Claude.ai conversations.json export -> conversations", claude_ai,
        params=(
            click.Argument(["paths"], nargs=-1, required=True,
                           type=click.Path(exists=True, dir_okay=False, path_type=Path)),
            KEEP,
            click.Option(["--max-chars"], type=int, default=24_000, show_default=True),
            SYSTEM,
        ),
        help="The Claude.ai data export (conversations.json) -> records."
             "\n\n\b\nExamples:\n"
             "  factory ingest claude-ai export/conversations.json --out data/claude_ai.jsonl --keep all\n"))
    register(Ingestor(
        "repo-fim", "repository source files -> fill-in-the-middle records", repo_fim,
        params=(
            REPO,
            click.Option(["--per-file"], type=int, default=6, show_default=True, help="FIM records per file at most."),
            click.Option(["--max-len"], type=int, default=1600, show_default=True,
                         help="Characters of prefix + middle + suffix."),
            click.Option(["--max-examples"], type=int, default=None,
                         help="Stop after this many (languages interleaved)."),
            click.Option(["--max-per-language"], type=int, default=None,
                         help="At most this many records per language, so one language cannot dominate."),
            click.Option(["--seed"], type=int, default=0, show_default=True),
            *LICENSE,
            *executor_params("cutting the files' examples", "ingest",
                             "local above 500 files, unless --max-examples or --max-per-language is given",
                             "Shards of the repository's files, one task each [default: 1,000 files a shard, at "
                             "least four shards a worker]."),
            work_dir_param("ingest", "repo-fim"),
        ),
        help="Source files of a local git repository -> fill-in-the-middle records cut at syntax "
             "boundaries."
             "\n\n\b\nExamples:\n"
             "  factory ingest repo-fim ../myrepo --out data/fim.jsonl --per-file 6 --max-len 1600\n"
             "  factory ingest repo-fim ../myrepo --out data/fim.jsonl --max-per-language 500 --seed 1\n"))
