"""Git history -> SFT records, read with git itself and streamed commit by commit.

Two kinds of record per kept commit (``--mode``): ``change`` -- the commit message as the change
request plus the code around each hunk as it was before, answered with the diff -- and
``commit_message`` -- the diff, answered with the message (trailers such as Signed-off-by removed).
Merge commits, bot authors, trivial changes (throwaway subjects, whitespace-only or too few changed
lines, lock files only) and huge changes (too many lines, files or characters) are skipped, each
counted with its reason. The repository's license (SPDX) goes into every record's meta, and a
refused or missing license stops the ingest before anything is read.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from factory.errors import FactoryError
from factory.ingest.gitrepo import GitRepo
from factory.ingest.licenses import LicensePolicy
from factory.ingest.sink import Candidate, IngestReport

CATEGORY = "git_history"
MODES = ("change", "commit_message")
_COMMIT = b"\x1eCOMMIT "
_FORMAT = "%x1eCOMMIT %H%x1f%an%x1f%ae%x1f%B%x1f"
_BOT = re.compile(r"\[bot\]|dependabot|renovate|github-actions|greenkeeper|snyk-bot|pre-commit-ci|"
                  r"^bot@|noreply@github\.com$|semantic-release", re.IGNORECASE)
_THROWAWAY = re.compile(r"^(?:wip|tmp|temp|test|update|updates|fix|fixes|typo|minor|cleanup|format|"
                        r"formatting|lint|bump( version)?|version bump|release|merge|\.+|-+|x+|\w{1,3})\W*$",
                        re.IGNORECASE)
_TRAILER = re.compile(r"^(?:Signed-off-by|Co-authored-by|Co-Authored-By|Reviewed-by|Acked-by|Change-Id|"
                      r"Cc):.*$", re.MULTILINE)
_LOCK_FILES = {"package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "Cargo.lock", "go.sum",
               "Gemfile.lock", "composer.lock", "uv.lock", "Pipfile.lock"}
_LANG = {".py": "python", ".js": "javascript", ".ts": "typescript", ".tsx": "tsx", ".go": "go", ".rs": "rust",
         ".java": "java", ".c": "c", ".h": "c", ".cpp": "cpp", ".rb": "ruby", ".sh": "bash", ".md": "markdown"}


@dataclass(frozen=True)
class GitHistoryOptions:
    rev: str = "HEAD"
    modes: tuple[str, ...] = MODES
    max_commits: int | None = None
    min_changed_lines: int = 2
    max_changed_lines: int = 400
    max_files: int = 12
    max_diff_chars: int = 16_000
    license: LicensePolicy = field(default_factory=LicensePolicy)


@dataclass
class Commit:
    sha: str
    author: str
    email: str
    message: str
    diff_lines: list[str]
    truncated: bool = False  # the diff grew past the cap while streaming

    @property
    def subject(self) -> str:
        return self.message.strip().splitlines()[0] if self.message.strip() else ""


def _parse(raw: bytes, cap: int) -> Commit:
    header, _, diff = raw[len(_COMMIT):].partition(b"\x1f\n") if b"\x1f\n" in raw else (raw, b"", b"")
    parts = header.decode("utf-8", errors="replace").split("\x1f")
    sha, author, email, message = (parts + ["", "", "", ""])[:4]
    text = diff.decode("utf-8", errors="replace")
    return Commit(sha, author, email, message.strip(), text.splitlines(), truncated=len(diff) > cap)


def iter_commits(repo: GitRepo, rev: str, cap: int) -> Iterator[Commit]:
    """Non-merge commits, newest first; a commit's diff is kept only up to ``cap`` bytes."""
    buf = bytearray()
    over = False
    for line in repo.stream("-c", "core.quotepath=off", "log", "--no-merges", "--no-color", "--no-ext-diff",
                            "-p", "--unified=3", f"--format={_FORMAT}", rev, "--"):
        if line.startswith(_COMMIT):
            if buf:
                yield _parse(bytes(buf), cap) if not over else _truncated(bytes(buf), cap)
            buf, over = bytearray(line), False
        elif len(buf) <= cap * 2:
            buf += line
        else:
            over = True
    if buf:
        yield _parse(bytes(buf), cap) if not over else _truncated(bytes(buf), cap)


def _truncated(raw: bytes, cap: int) -> Commit:
    commit = _parse(raw, cap)
    commit.truncated = True
    return commit


@dataclass
class DiffStats:
    files: list[str]
    added: int
    removed: int
    binary: bool
    whitespace_only: bool


def diff_stats(lines: list[str]) -> DiffStats:
    files, added, removed = [], [], []
    binary = False
    for line in lines:
        if line.startswith("diff --git "):
            files.append(line.split(" b/", 1)[-1])
        elif line.startswith(("+++", "---")):
            continue
        elif line.startswith("+"):
            added.append(line[1:])
        elif line.startswith("-"):
            removed.append(line[1:])
        elif line.startswith("Binary files "):
            binary = True
    squash = Counter("".join(s.split()) for s in added) == Counter("".join(s.split()) for s in removed)
    return DiffStats(files, len(added), len(removed), binary, bool(added or removed) and squash)


def skip_reason(commit: Commit, stats: DiffStats, options: GitHistoryOptions) -> str | None:
    if _BOT.search(commit.author) or _BOT.search(commit.email):
        return "bot author"
    changed = stats.added + stats.removed
    if commit.truncated or changed > options.max_changed_lines or len(stats.files) > options.max_files:
        return "huge change"
    if stats.binary and changed == 0:
        return "binary change"
    if not stats.files or all(PurePosixPath(f).name in _LOCK_FILES for f in stats.files):
        return "trivial change: lock files only or nothing"
    if _THROWAWAY.match(commit.subject):
        return "trivial change: throwaway message"
    if changed < options.min_changed_lines or stats.whitespace_only:
        return "trivial change: too few lines or whitespace only"
    return None


def clean_diff(lines: list[str]) -> str:
    """The diff without index lines (object ids teach nothing)."""
    return "\n".join(line for line in lines if not line.startswith("index ")).strip()


def before_context(lines: list[str]) -> str:
    """Per file, the pre-image of each hunk: the code the change request refers to."""
    out: list[str] = []
    path, lang = "", ""
    for line in lines:
        if line.startswith("diff --git "):
            if out and out[-1] != "```":
                out.append("```")
            path = line.split(" b/", 1)[-1]
            lang = _LANG.get(PurePosixPath(path).suffix, "")
        elif line.startswith("@@"):
            m = re.match(r"@@ -(\d+)(?:,(\d+))?", line)
            start = int(m.group(1)) if m else 0
            if out and out[-1] != "```":
                out.append("```")
            if start == 0:
                out.append(f"`{path}` (new file)")
                continue
            out.append(f"`{path}` from line {start}:")
            out.append(f"```{lang}")
        elif line.startswith((" ", "-")) and not line.startswith("---") and out and out[-1] != "```" \
                and not out[-1].endswith("(new file)"):
            out.append(line[1:])
    if out and out[-1] != "```" and not out[-1].endswith("(new file)"):
        out.append("```")
    return "\n".join(out)


def ingest_git_history(repo_path: str, report: IngestReport, options: GitHistoryOptions) -> Iterator[Candidate]:
    repo = GitRepo.open(repo_path)
    report.sources += 1
    if not repo.has_commits(options.rev):
        raise FactoryError(f"{repo.path}: revision '{options.rev}' does not exist (an empty repository?)")
    license_info = repo.license(options.rev)
    refusal = options.license.refusal(license_info)
    if refusal:
        raise FactoryError(f"{repo.path}: {refusal}")
    merges = repo.git("rev-list", "--merges", "--count", options.rev).strip()
    report.units_skipped["merge commit"] += int(merges or 0)
    report.units_read += int(merges or 0)
    base_meta = {"generator": "ingest:git-history", "provider": "git", "repo": repo.name,
                 "license": license_info.to_meta()}
    kept = 0
    for commit in iter_commits(repo, options.rev, options.max_diff_chars):
        report.units_read += 1
        stats = diff_stats(commit.diff_lines)
        reason = skip_reason(commit, stats, options)
        if reason:
            report.units_skipped[reason] += 1
            continue
        diff = clean_diff(commit.diff_lines)
        message = _TRAILER.sub("", commit.message).strip()
        meta = {**base_meta, "commit": commit.sha, "files": stats.files[:20],
                "changed_lines": stats.added + stats.removed}
        if "change" in options.modes:
            context = before_context(commit.diff_lines)
            ask = f"In the repository `{repo.name}`, make this change:\n\n{message}"
            if context.strip():
                ask += f"\n\nThe code as it is now:\n\n{context}"
            ask += "\n\nAnswer with a unified diff."
            yield Candidate(CATEGORY, "change", [{"role": "user", "content": ask},
                                            {"role": "assistant", "content": f"```diff\n{diff}\n```"}], [], meta)
        if "commit_message" in options.modes:
            ask = f"Write a commit message for this change:\n\n```diff\n{diff}\n```"
            yield Candidate(CATEGORY, "commit_message", [{"role": "user", "content": ask},
                                                    {"role": "assistant", "content": message}], [], meta)
        kept += 1
        if options.max_commits and kept >= options.max_commits:
            break
