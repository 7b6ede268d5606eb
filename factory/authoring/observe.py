"""Grounded prose about tool results: what an assistant can truthfully say after a call, computed
from the real result and the workspace's symbol index (never invented), in several phrasings."""

from __future__ import annotations

import random
import re
from pathlib import Path

from factory.authoring.text import one
from factory.quality.claims import GREP_ROW
from factory.sandbox.workspace import LANGUAGE_BY_SUFFIX, Workspace


def source_files(ws: Workspace, lang: str | None = None) -> list[str]:
    return [f for f in ws.files if Path(f).suffix in LANGUAGE_BY_SUFFIX
            and (lang is None or LANGUAGE_BY_SUFFIX[Path(f).suffix] == lang)]


def symbols_in(ws: Workspace, file: str, kinds: set[str] | None = None) -> list:
    return [s for s in ws.symbols if s.file == file and (kinds is None or s.kind in kinds)]


def named(names: list[str], limit: int = 4) -> str:
    shown = [f"`{n}`" for n in names[:limit]]
    if len(names) > limit:
        shown.append(f"{len(names) - limit} more")
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def more_matches(output: str) -> int:
    """Hits a search result left out (its ``... (N more matches)`` line), 0 when it shows them all."""
    found = re.search(r"^\.\.\. \((\d+) more matches\)$", output, re.MULTILINE)
    return int(found.group(1)) if found else 0


def describe(rng: random.Random, ws: Workspace, name: str, args: dict, output: str) -> str:
    """One sentence about a tool result, true by construction."""
    if output.startswith("error: "):
        return f"`{name}` failed: {output.removeprefix('error: ')}."
    if name == "read" and ("offset" in args or "limit" in args):
        rel = ws.resolve(args["file_path"])
        first_no = args.get("offset", 1)
        last_no = first_no + len(output.splitlines()) - 1
        inside = [s.name for s in symbols_in(ws, rel) if first_no <= s.line <= last_no]
        where = f"Lines {first_no}-{last_no} of `{rel}`"
        if inside:
            return one(rng, [f"{where} hold {named(inside)}.", f"{where} cover {named(inside)}."])
        first = next((ln.split("\t", 1)[-1].strip() for ln in output.splitlines() if ln.split("\t", 1)[-1].strip()), "")
        return f"{where} begin with `{first}`."
    if name in ("read_file", "read"):
        path = args.get("filepath") or args.get("file_path")
        rel = ws.resolve(path)
        lines = len(ws.text(rel).splitlines())
        syms = symbols_in(ws, rel)
        if syms:
            top = [s.name for s in syms if s.kind not in ("method",)] or [s.name for s in syms]
            return one(rng, [
                f"`{rel}` ({lines} lines) defines {named(top)}.",
                f"In `{rel}` I see {named(top)} across {lines} lines.",
                f"`{rel}` is {lines} lines long; its top-level names are {named(top)}.",
            ])
        first = next((ln.strip("# ").strip() for ln in ws.text(rel).splitlines() if ln.strip()), "")
        return one(rng, [f"`{rel}` ({lines} lines) opens with \"{first}\".",
                         f"`{rel}` starts with \"{first}\" and runs {lines} lines."])
    if name == "read_file_range":
        first = next((ln.strip() for ln in output.splitlines() if ln.strip()), "")
        return f"Lines {args['startLine']}-{args['endLine']} of `{args['filepath']}` begin with `{first}`."
    if name == "grep" and args.get("output_mode", "files_with_matches") == "files_with_matches":
        files = [ln for ln in output.splitlines() if ln and ln != "No matches found"]
        if not files:
            return f"Nothing matches `{args['pattern']}`."
        return f"`{args['pattern']}` appears in {len(files)} file{'s' * (len(files) != 1)}: {named(files)}."
    if name in ("grep_search", "grep", "find_references"):
        rows = [ln for ln in output.splitlines() if GREP_ROW.match(ln)]
        files = sorted({ln.split(":", 1)[0] for ln in rows})
        pattern = args.get("query") or args.get("pattern") or args.get("symbol")
        if not rows or output.startswith("No matches"):
            return one(rng, [f"Nothing matches `{pattern}`.", f"The search for `{pattern}` came back empty."])
        hidden = more_matches(output)
        if name == "find_references":  # its header gives the total; only the first rows are listed
            hidden = int(output.split(" ", 1)[0]) - len(rows)
        if hidden:
            return (f"`{pattern}` matches {len(rows) + hidden} lines; the first {len(rows)} shown are in "
                    f"{named(files)}.")
        return one(rng, [
            f"`{pattern}` occurs on {len(rows)} line{'s' * (len(rows) != 1)} in {named(files)}.",
            f"The search for `{pattern}` finds {len(rows)} hit{'s' * (len(rows) != 1)}, in {named(files)}.",
        ])
    if name in ("file_glob_search", "glob"):
        files = [ln for ln in output.splitlines() if ln and ln != "No files found"]
        if not files:
            return f"No files match `{args['pattern']}`."
        verb = "matches" if len(files) == 1 else "match"
        return one(rng, [f"{len(files)} file{'s' * (len(files) != 1)} {verb} `{args['pattern']}`: {named(files)}.",
                         f"The pattern `{args['pattern']}` finds {named(files)}."])
    if name in ("ls", "view_subdirectory"):
        entries = [ln for ln in output.splitlines() if ln]
        where = args.get("dirPath") or args.get("directory_path") or "the root"
        return one(rng, [f"`{where}` holds {named(entries, 5)}.",
                         f"Listing `{where}` shows {len(entries)} entries, including {named(entries, 3)}."])
    if name == "goto_definition":
        first = output.splitlines()[0]
        loc, sig = first.split(": ", 1)
        return one(rng, [f"`{args['symbol']}` is defined at `{loc}` as `{sig}`.",
                         f"The definition of `{args['symbol']}` lives at `{loc}`: `{sig}`."])
    if name in ("functions", "classes"):
        kinds = {"function", "method"} if name == "functions" else {
            "class", "struct", "interface", "type", "enum", "trait"}
        syms = symbols_in(ws, ws.resolve(args["file"]), kinds)
        what = "functions" if name == "functions" else "types"
        if not syms:
            return f"`{args['file']}` has no {what}."
        return f"`{args['file']}` has {len(syms)} {what}: {named([s.name for s in syms], 5)}."
    if name == "stats":
        return "The project has " + "; ".join(output.splitlines()[:-1]) + "."
    if name == "index":
        return output
    return f"`{name}` succeeded."
