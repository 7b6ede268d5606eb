"""Built-in ingestors: ``factory ingest claude-logs | claude-ai | git-history | repo-fim``.

Each command streams its source through :class:`factory.ingest.sink.RecordSink` (scrub, validate,
dedupe, atomic write) and prints the ingest report, which is also written to ``OUT.report.json``.
Library code lives in ``factory.ingest``; it is imported inside the command bodies so ``factory --help``
stays fast.
"""

from __future__ import annotations

from pathlib import Path

import click

from factory import hookimpl
from factory.registry import Ingestor

_OUT = click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
                    help="JSONL file to write (atomically); the report goes to OUT.report.json.")


def _finish(report) -> None:
    click.echo(report.summary())
    if not report.written:
        click.echo("warning: no record was written; see the rejection reasons above", err=True)


@click.command("claude-logs")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@_OUT
@click.option("--keep", default="error_resolution,debugging,code_explanation", show_default=True,
              help="Comma-separated tags a window needs one of to be kept, or 'all'.")
@click.option("--max-chars", type=int, default=24_000, show_default=True,
              help="Window size; a window never separates a tool call from its result.")
@click.option("--max-tool-result-chars", type=int, default=6_000, show_default=True,
              help="Longer tool results are truncated with a marker.")
@click.option("--no-thinking", is_flag=True, help="Drop thinking blocks instead of keeping them as reasoning.")
@click.option("--no-sidechains", is_flag=True, help="Skip sub-agent (sidechain) conversations.")
@click.option("--system", default=None, help="A system message to put first in every record.")
def claude_logs_command(paths: tuple[Path, ...], out: Path, keep: str, max_chars: int,
                        max_tool_result_chars: int, no_thinking: bool, no_sidechains: bool,
                        system: str | None) -> None:
    """Claude Code session logs (~/.claude/projects/*/*.jsonl, files or folders) -> records.

    Example: factory ingest claude-logs ~/.claude/projects --out data/claude_logs.jsonl --keep all
    """
    from factory.ingest.claude_logs import ClaudeLogOptions, ingest_claude_logs
    from factory.ingest.sink import IngestReport, RecordSink

    options = ClaudeLogOptions(keep=_keep_tags(keep), max_chars=max_chars, max_tool_result_chars=max_tool_result_chars,
                               include_thinking=not no_thinking, include_sidechains=not no_sidechains,
                               system=system)
    with RecordSink(out, IngestReport("claude-logs")) as sink:
        ingest_claude_logs(paths, sink, options)
    _finish(sink.report)


@click.command("claude-ai")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_OUT
@click.option("--keep", default="error_resolution,debugging,code_explanation", show_default=True,
              help="Comma-separated tags a window needs one of to be kept, or 'all'.")
@click.option("--max-chars", type=int, default=24_000, show_default=True)
@click.option("--system", default=None, help="A system message to put first in every record.")
def claude_ai_command(paths: tuple[Path, ...], out: Path, keep: str, max_chars: int, system: str | None) -> None:
    """The Claude.ai data export (conversations.json) -> records.

    Example: factory ingest claude-ai export/conversations.json --out data/claude_ai.jsonl --keep all
    """
    from factory.ingest.claude_ai import ingest_claude_ai
    from factory.ingest.claude_logs import ClaudeLogOptions
    from factory.ingest.sink import IngestReport, RecordSink

    options = ClaudeLogOptions(keep=_keep_tags(keep), max_chars=max_chars, system=system)
    with RecordSink(out, IngestReport("claude-ai")) as sink:
        ingest_claude_ai(list(paths), sink, options)
    _finish(sink.report)


def _keep_tags(keep: str) -> frozenset[str]:
    from factory.ingest.claude_logs import TAGS

    wanted = frozenset(t.strip() for t in keep.split(",") if t.strip())
    unknown = wanted - set(TAGS) - {"all"}
    if unknown or not wanted:
        raise click.BadParameter(f"unknown tag(s) {sorted(unknown)}; use {', '.join(TAGS)} or all",
                                 param_hint="--keep")
    return wanted


def _license_options(fn):
    fn = click.option("--allow-unlicensed", is_flag=True,
                      help="Ingest a repository with no detectable license (you must have the right).")(fn)
    return click.option("--refuse-license", "refuse_license", multiple=True, metavar="SPDX",
                        help="Refuse repositories under this SPDX license id (repeatable).")(fn)


def _policy(allow_unlicensed: bool, refuse_license: tuple[str, ...]):
    from factory.ingest.licenses import LicensePolicy

    return LicensePolicy(refuse_unlicensed=not allow_unlicensed, refused=frozenset(refuse_license))


@click.command("git-history")
@click.argument("repo", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_OUT
@click.option("--rev", default="HEAD", show_default=True, help="Revision whose history is read.")
@click.option("--mode", default="change,commit_message", show_default=True,
              help="Records per commit: change (request -> diff), commit_message (diff -> message).")
@click.option("--max-commits", type=int, default=None, help="Stop after this many kept commits.")
@click.option("--min-changed-lines", type=int, default=2, show_default=True)
@click.option("--max-changed-lines", type=int, default=400, show_default=True)
@click.option("--max-files", type=int, default=12, show_default=True)
@_license_options
def git_history_command(repo: Path, out: Path, rev: str, mode: str, max_commits: int | None,
                        min_changed_lines: int, max_changed_lines: int, max_files: int,
                        allow_unlicensed: bool, refuse_license: tuple[str, ...]) -> None:
    """Commits of a local git repository -> SFT records (merges, bots, trivial and huge changes skipped).

    Example: factory ingest git-history ../myrepo --out data/git_history.jsonl --max-commits 2000
    """
    from factory.ingest.git_history import MODES, GitHistoryOptions, ingest_git_history
    from factory.ingest.sink import IngestReport, RecordSink

    modes = tuple(m.strip() for m in mode.split(",") if m.strip())
    if not modes or set(modes) - set(MODES):
        raise click.BadParameter(f"use one or more of {', '.join(MODES)}", param_hint="--mode")
    options = GitHistoryOptions(rev=rev, modes=modes, max_commits=max_commits,
                                min_changed_lines=min_changed_lines, max_changed_lines=max_changed_lines,
                                max_files=max_files, license=_policy(allow_unlicensed, refuse_license))
    with RecordSink(out, IngestReport("git-history")) as sink:
        ingest_git_history(str(repo), sink, options)
    _finish(sink.report)


@click.command("repo-fim")
@click.argument("repo", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_OUT
@click.option("--per-file", type=int, default=6, show_default=True, help="FIM records per file at most.")
@click.option("--max-len", type=int, default=1600, show_default=True,
              help="Characters of prefix + middle + suffix.")
@click.option("--max-examples", type=int, default=None, help="Stop after this many (languages interleaved).")
@click.option("--max-per-language", type=int, default=None,
              help="At most this many records per language, so one language cannot dominate.")
@click.option("--seed", type=int, default=0, show_default=True)
@_license_options
def repo_fim_command(repo: Path, out: Path, per_file: int, max_len: int, max_examples: int | None,
                     max_per_language: int | None, seed: int,
                     allow_unlicensed: bool, refuse_license: tuple[str, ...]) -> None:
    """Source files of a local git repository -> fill-in-the-middle records cut at syntax boundaries.

    Example: factory ingest repo-fim ../myrepo --out data/fim.jsonl --per-file 6 --max-len 1600
    """
    from factory.ingest.repo_fim import FimOptions, ingest_repo_fim
    from factory.ingest.sink import IngestReport, RecordSink

    if per_file < 1 or max_len < 64:
        raise click.BadParameter("--per-file must be >= 1 and --max-len >= 64")
    options = FimOptions(per_file=per_file, max_len=max_len, max_examples=max_examples,
                         max_per_language=max_per_language, seed=seed,
                         license=_policy(allow_unlicensed, refuse_license))
    with RecordSink(out, IngestReport("repo-fim")) as sink:
        ingest_repo_fim(str(repo), sink, options)
    _finish(sink.report)


@hookimpl
def register_ingestors(register):
    register(Ingestor("claude-logs", "Claude Code session logs -> tool-using conversations",
                      claude_logs_command))
    register(Ingestor("git-history", "git commits -> change requests with diffs, diffs with messages",
                      git_history_command))
    register(Ingestor("claude-ai", "the Claude.ai conversations.json export -> conversations",
                      claude_ai_command))
    register(Ingestor("repo-fim", "repository source files -> fill-in-the-middle records", repo_fim_command))
