"""A repository's license as an SPDX id, and the policy that refuses unlicensed or listed licenses.

Detection reads, in order: license files at the repository root (LICENSE, LICENCE, COPYING, with any
extension or suffix such as LICENSE-MIT), then package metadata (pyproject.toml, package.json,
Cargo.toml), then an ``SPDX-License-Identifier`` line in a root README. License texts are recognised
by phrases each license's text contains; two licenses in one repository (dual licensing) are joined
with `` OR ``. Nothing recognised is ``None`` -- unlicensed as far as anyone can tell.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# (SPDX id, phrases that must all appear), most specific first: the first match wins per file.
_TEXT_SIGNATURES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AGPL-3.0", ("GNU AFFERO GENERAL PUBLIC LICENSE", "Version 3")),
    ("LGPL-3.0", ("GNU LESSER GENERAL PUBLIC LICENSE", "Version 3")),
    ("LGPL-2.1", ("GNU LESSER GENERAL PUBLIC LICENSE", "Version 2.1")),
    ("GPL-3.0", ("GNU GENERAL PUBLIC LICENSE", "Version 3")),
    ("GPL-2.0", ("GNU GENERAL PUBLIC LICENSE", "Version 2")),
    ("Apache-2.0", ("Apache License", "Version 2.0")),
    ("MPL-2.0", ("Mozilla Public License", "2.0")),
    ("EPL-2.0", ("Eclipse Public License", "2.0")),
    ("BSL-1.0", ("Boost Software License",)),
    ("Unlicense", ("This is free and unencumbered software released into the public domain",)),
    ("CC0-1.0", ("CC0 1.0 Universal",)),
    ("ISC", ("Permission to use, copy, modify, and", "distribute this software for any purpose")),
    ("MIT", ("Permission is hereby granted, free of charge",)),
    ("BSD-3-Clause", ("Redistribution and use in source and binary forms", "Neither the name")),
    ("BSD-2-Clause", ("Redistribution and use in source and binary forms",)),
    ("Zlib", ("This software is provided 'as-is'", "Altered source versions must be plainly marked")),
)
_LICENSE_FILE = re.compile(r"^(?:LICEN[CS]E|COPYING|UNLICENSE)(?:[-_.][\w.-]+)?$", re.IGNORECASE)
_SPDX_LINE = re.compile(r"SPDX-License-Identifier:\s*([A-Za-z0-9.+() -]+?)\s*(?:\*/|-->|$)", re.MULTILINE)
_TOML_LICENSE = re.compile(r'^\s*license\s*=\s*(?:"([^"]+)"|\{\s*text\s*=\s*"([^"]+)")', re.MULTILINE)


@dataclass(frozen=True)
class LicenseInfo:
    spdx: str | None  # e.g. "MIT", "MIT OR Apache-2.0"; None when nothing was recognised
    source: str  # the file it came from, or "" when none

    def to_meta(self) -> dict[str, str | None]:
        return {"spdx": self.spdx, "source": self.source}


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def license_from_text(text: str) -> str | None:
    flat = _normalise(text)
    for spdx, phrases in _TEXT_SIGNATURES:
        if all(p.lower() in flat.lower() for p in phrases):
            return spdx
    m = _SPDX_LINE.search(text)
    return m.group(1).strip() if m else None


def _from_metadata(name: str, text: str) -> str | None:
    if name == "package.json":
        try:
            value = json.loads(text).get("license")
        except (ValueError, AttributeError):
            return None
        return value if isinstance(value, str) and value.upper() != "UNLICENSED" else None
    m = _TOML_LICENSE.search(text)
    return (m.group(1) or m.group(2)).strip() if m else None


def detect_license(names: Iterable[str], read: Callable[[str], str | None]) -> LicenseInfo:
    """``names``: files at the repository root; ``read(name)``: their text (None if unreadable)."""
    names = sorted(names)
    found: list[tuple[str, str]] = []
    for name in names:
        if _LICENSE_FILE.match(name):
            spdx = license_from_text(read(name) or "")
            if spdx and spdx not in [s for s, _ in found]:
                found.append((spdx, name))
    if found:
        return LicenseInfo(" OR ".join(s for s, _ in found), ", ".join(n for _, n in found))
    for name in ("pyproject.toml", "package.json", "Cargo.toml"):
        if name in names:
            spdx = _from_metadata(name, read(name) or "")
            if spdx:
                return LicenseInfo(spdx, name)
    for name in names:
        if name.lower().startswith("readme"):
            m = _SPDX_LINE.search(read(name) or "")
            if m:
                return LicenseInfo(m.group(1).strip(), name)
    return LicenseInfo(None, "")


@dataclass(frozen=True)
class LicensePolicy:
    refuse_unlicensed: bool = True
    refused: frozenset[str] = frozenset()  # SPDX ids (case-insensitive) to refuse, e.g. {"GPL-3.0"}

    def refusal(self, info: LicenseInfo) -> str | None:
        """Why the repository may not be ingested, or None when it may."""
        if info.spdx is None:
            return ("no license found (looked for LICENSE/COPYING files, package metadata, SPDX lines); "
                    "pass --allow-unlicensed if you have the right to use it") if self.refuse_unlicensed else None
        ids = {p.strip().strip("()").upper() for p in re.split(r"\s+(?:OR|AND|WITH)\s+", info.spdx)}
        refused = {r.upper() for r in self.refused}
        hit = sorted(ids & refused)
        # "A OR B" may be used under either: refused only when every choice is.
        if hit and (" AND " in info.spdx.upper() or ids <= refused):
            return f"license {info.spdx} ({info.source}) is refused by --refuse-license {', '.join(hit)}"
        return None
