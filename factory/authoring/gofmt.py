"""Go source laid out as ``gofmt`` lays it out, for the shapes the kit writes: tabs for indentation, and
the columns gofmt aligns -- struct fields (name, type, tag), ``key: value`` lines of a composite
literal, ``name = value`` specs of a ``const (...)`` / ``var (...)`` block. Pure Python, so generation
needs no Go toolchain; the tests run the real ``gofmt -l`` over every Go block of the main job."""

from __future__ import annotations

import re

_INDENT = re.compile(r"^( +)")
_FIELD = re.compile(r"^(\t+)(\w+) +(\S(?:[^`]*\S)?)(?: +(`[^`]*`))?$")  # Name Type `tag`
_KEYVAL = re.compile(r"^(\t+)(\w+): +(.+,)$")  # Key: value,
_SPEC = re.compile(r"^(\t+)(\w+) += +(.+)$")  # Name = value


def _tabs(line: str) -> str:
    m = _INDENT.match(line)
    if not m:
        return line
    spaces = len(m.group(1))
    return "\t" * (spaces // 4) + " " * (spaces % 4) + line[spaces:]


def _align(rows: list[list[str]], indent: str) -> list[str]:
    """Every cell but a row's last padded to its column's width, one space between cells (gofmt's
    tabwriter: padding 1, spaces for alignment)."""
    width = [max((len(r[c]) for r in rows if len(r) > c + 1), default=0) for c in range(max(map(len, rows)))]
    return [indent + " ".join(cell.ljust(width[c]) if c < len(r) - 1 else cell for c, cell in enumerate(r))
            for r in rows]


def go_format(code: str) -> str:
    lines = [_tabs(ln.rstrip()) for ln in code.splitlines()]
    out: list[str] = []
    i = 0
    while i < len(lines):
        for rx in (_FIELD, _KEYVAL, _SPEC):
            m = rx.match(lines[i])
            if not m or (rx is _FIELD and not _in_struct(lines, i)) or (rx is _SPEC and not _in_group(lines, i)):
                continue
            indent = m.group(1)
            j, rows = i, []
            while j < len(lines) and (mj := rx.match(lines[j])) and mj.group(1) == indent:
                if rx is _SPEC:
                    rows.append([mj.group(2), "= " + mj.group(3)])
                elif rx is _KEYVAL:
                    rows.append([mj.group(2) + ":", mj.group(3)])
                else:
                    rows.append([g for g in mj.groups()[1:] if g is not None])
                j += 1
            out.extend(_align(rows, indent))
            i = j
            break
        else:
            out.append(lines[i])
            i += 1
    return "\n".join(out) + ("\n" if code.endswith("\n") else "")


def _opener(lines: list[str], i: int) -> str:
    """The line that opened the block line ``i`` is in."""
    depth = 0
    for k in range(i - 1, -1, -1):
        line = lines[k].strip()
        if line in ("}", ")", "},", "),"):
            depth += 1
        elif line.endswith(("{", "(")):
            if depth == 0:
                return line
            depth -= 1
    return ""


def _in_struct(lines: list[str], i: int) -> bool:
    return _opener(lines, i).endswith("struct {")


def _in_group(lines: list[str], i: int) -> bool:
    return _opener(lines, i) in ("const (", "var (")
