"""The ``documentation`` category: conventional commit messages for real diffs,
README sections, API docs (docstrings, JSDoc, Rust ``///``), inline comments that say why (inserted
into the workspace's files with dry-run edits) and migration guides for breaking changes."""

from __future__ import annotations

import ast
import difflib
import re

from factory import hookimpl
from factory.agents import spec_path
from factory.authoring.designs import DESIGNS
from factory.authoring.dialog import Dialog
from factory.authoring.entities import entity
from factory.authoring.generator import SubcategoryGenerator
from factory.authoring.idioms import CHANGES, IDIOMS
from factory.authoring.observe import describe, symbols_in
from factory.authoring.phrasing import pick
from factory.authoring.text import bullets, fence, one, some
from factory.registry import Category

EXT = {"python": "py", "typescript": "ts", "rust": "rs", "go": "go"}
TYPES = {"dry": "refactor", "solid": "refactor", "clean_code": "refactor", "refactoring": "refactor"}


def _any_pair(rng):
    """A before/after pair, its commit type and whether it keeps behaviour (a kit idiom not in CHANGES;
    a design pair may change an interface, so its message never claims behaviour is unchanged)."""
    if rng.random() < 0.5:
        kind = one(rng, list(DESIGNS))
        return one(rng, DESIGNS[kind])(rng), TYPES[kind], False
    lang = one(rng, list(IDIOMS))
    builder = one(rng, IDIOMS[lang])
    pair, ctype = builder(rng), one(rng, ["refactor", "style", "perf", "fix"])
    if builder.__name__ in CHANGES and ctype in ("refactor", "style"):
        ctype = "fix"  # it changes behaviour: not a refactor, and the message must not say "unchanged"
    return pair, ctype, builder.__name__ not in CHANGES


# Phrase grammars (factory.authoring.phrasing): the ways people ask for each kind of documentation.
COMMIT_ASKS = (
    "{Write|Draft|Suggest} a commit message for this {diff|change}{, please|}.",
    "{Conventional commit message|A Conventional Commits message} for this, please:",
    "What should the commit message {be|say}{ for this|}?",
    "Commit message? We use Conventional Commits{, with a type and a scope|}.",
    "{I'm about to commit this|This is staged}{ and I'm bad at messages|}. {What should the message say?|"
    "Can you write the message?}",
    "{Can you|Could you} {summarise|sum up} this {diff|change} as a {commit message|Conventional Commits message}"
    "{ with a short body|}?",
    "{Our|The} {repo|team} {uses|follows} Conventional Commits; {what type and scope fit this?|write the message for "
    "this diff.}",
    "{Help me write|I need help with} the commit message for this {refactor|change}: a subject line and "
    "{a short why|a body that says why}.",
    "{My messages|My commit messages} {always end up|are always} 'wip' or 'fix stuff'{ and reviewers hate it|}. "
    "{What would a good one for this look like?|Write a proper one for this diff.}",
)
COMMIT_CONTEXT = (
    "{It's|This is} going into the {next release|release branch|main branch}{ tonight|}.",
    "{The reviewers read|Our release notes tool reads} the {subject lines|commit types}{ to build the changelog|}.",
    "{It's|This is} one commit of a {bigger|longer} {cleanup|refactoring} series.",
)
README_FOLDER_ASKS = (
    "{Write|Draft|Add} a README section for `{f}/`{, please|}.",
    "Document `{f}/` in the README{ for new contributors|}.",
    "We need a README blurb for the `{f}` folder.",
    "{Can you|Could you} {describe|summarise} what lives in `{f}/` {for the README|in a README section}?",
    "{New contributors|People} keep asking what `{f}/` {is for|contains}; {write|add} {a README section|something "
    "for the README} {that answers that|about it}.",
    "{Look at|Check} `{f}/` and {write|draft} {its README section|a short README entry for it}.",
    "The README {says nothing|has nothing} about `{f}/`{ yet|}. {Fix that?|Can you add a section?}",
)
README_MODULE_ASKS = (
    "{Write|Draft} a README for our `{m}` module.",
    "README section for `{m}`, please.",
    "Draft the README of the `{m}` package.",
    "{We're|I'm} {publishing|open-sourcing|sharing} the `{m}` {package|module}{ internally|}; {write|draft} "
    "{its README|a README for it}.",
    "{Can you|Could you} write {the|a} README for `{m}`{ from the code below|}?",
    "`{m}` has no README{ yet|}. {Write one from this code.|Here's the code; write one.}",
    "{What|Which} sections {would you put|belong} in a README for `{m}`? {Write it.|Draft it from the code below.}",
)
API_ASKS = (
    "{Document|Write docs for} this {API|code|module}{, please|}.",
    "Add {doc comments|documentation comments} to this{ {L}| code|}.",
    "{Please write the API docs for these functions.|Can you write the API docs for these functions?}",
    "Our docs build is missing these. Add documentation:",
    "{These functions|This code} {show up|appear} {undocumented|without docs} in {the generated reference|our IDE "
    "hovers}; {fix that|add the docs}.",
    "{What|Which} doc comments would you add here{ in idiomatic {L}|}? {Add them.|Write them in.}",
    "{I'm|We're} {publishing|releasing} this {as a library|to other teams}{ next week|}; {document|add docs to} "
    "the public functions.",
    "{Add|Write} doc comments in {our|the usual} {L} style{ so the linter stops complaining|}.",
)
COMMENT_ASKS = (
    "Add comments to `{f}` {where|wherever} the code isn't obvious.",
    "Which line in `{f}` needs a 'why' comment? {Add it.|Please add it.}",
    "Comment the {tricky|non-obvious|subtle} part of `{f}`{, please|}.",
    "Improve the inline comments in `{f}` -- why, not what.",
    "{Find|Look for} the line in `{f}` that {a new hire|the next reader} would most likely {misread|get wrong}, "
    "and {explain it|add a comment} there.",
    "`{f}` has {a decision|a line} in it that {deserves|needs} {a comment|an explanation}; {find it and add one|"
    "add the comment}.",
    "{Go through|Read} `{f}` and add {one|a} comment that explains why, where it matters{ most|}.",
    "{I|We} {keep forgetting|always forget} why `{f}` does {one thing|something} the way it does; {leave|add} a "
    "comment{ for future us|}.",
)
COMMENT_CONTEXT = (
    "{We're doing|It's time for} a docs pass{ before the release|}.",
    "{A new hire|Someone new} starts {on Monday|next week}{ and will read this first|}.",
    "{The last code review|Review feedback} asked for {this|better comments}.",
)
COMMENT_LIMITS = ("", "", "One comment is plenty.", "Don't comment the obvious.",
                  "{Keep|Leave} the rest {as it is|alone}.")
MIGRATION_ASKS = (
    "We're releasing v{v}.0: `{o}` is renamed `{n}` and `{k}` becomes keyword-only. {Write|Draft} the migration guide.",
    "Migration guide for v{v}: `{o}(...)` -> `{n}(..., {k}=...)`.",
    "Draft upgrade notes for v{v}.0 (breaking: `{o}` renamed to `{n}`, `{k}` keyword-only).",
    "{In|With} v{v}.0, `{o}` {becomes|turns into} `{n}` and `{k}` {must be passed by name|is keyword-only}. "
    "{What should the upgrade guide say?|Write the upgrade section for the docs.}",
    "{Our users|Downstream teams} {will|are going to} hit a breaking change in v{v}.0: `{o}` is now `{n}`, with "
    "`{k}` keyword-only. {Can you write the migration notes?|Please write a migration guide.}",
    "{I need|We need} {a short|an} upgrade guide: `{o}` {was|is} renamed `{n}` and `{k}` {can no longer be passed "
    "positionally|is now keyword-only}{ in v{v}.0|}.",
    "{Write|Draft} the upgrade section for v{v}.0{ of the changelog|}: `{o}` is now `{n}`, and `{k}` must be named.",
)


def commit_messages(rng, d: Dialog) -> None:
    pair, ctype, keeps = _any_pair(rng)
    name = one(rng, ["core", "report", "api", "service", "utils", "models", "export"]) + "." + EXT[pair.lang]
    diff = "".join(difflib.unified_diff(pair.before.splitlines(True), pair.after.splitlines(True), f"a/{name}", f"b/{name}"))
    d.user(_with_context(rng, pick(rng, COMMIT_ASKS), COMMIT_CONTEXT, 0.4) + "\n\n" + fence("diff", diff))
    scope = name.split(".")[0]
    subject = f"{ctype}({scope}): use {pair.title}"[:72]
    body = "\n".join(f"- {p}" for p in some(rng, pair.points, 2, 3))
    if ctype not in ("refactor", "style"):
        why_type = f"`{ctype}` marks the user-visible effect."
    elif keeps:
        why_type = f"`{ctype}` because behaviour is unchanged."
    else:
        why_type = f"`{ctype}` because it restructures the code without adding a feature or fixing a bug."
    d.say(pick(rng, ["", "Here's one:", "Suggested message:", "{I'd go with|How about}:"]) + "\n\n"
          + fence("text", f"{subject}\n\n{body}") + "\n\n"
          + one(rng, ["The subject stays under 72 characters and says what changed; the body says why.", why_type,
                      "No issue number given; add `Refs: #...` if there is one."]))


def _with_context(rng, ask: str, contexts: tuple[str, ...], share: float, **slots: str) -> str:
    """``ask`` with, ``share`` of the time, a context sentence before or after it."""
    if rng.random() >= share:
        return ask
    context = pick(rng, contexts).format(**slots)
    return f"{context} {ask}" if rng.random() < 0.5 else f"{ask} {context}"


def _summary(name: str) -> str:
    words = name.strip("_").replace("_", " ")
    return words[0].upper() + words[1:] + "." if words else "Helper."


def add_python_docstrings(code: str) -> str:
    """Insert a docstring into each top-level function, built from its name and annotations."""
    tree = ast.parse(code)
    lines = code.splitlines()
    inserts = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.body and not ast.get_docstring(node):
            args = [a.arg for a in node.args.args if a.arg != "self"]
            ret = ast.unparse(node.returns) if node.returns else None
            doc = [f'    """{_summary(node.name)}']
            if args:
                doc += ["", "    Args:"] + [f"        {a}: the {a.replace('_', ' ')}." for a in args]
            if ret and ret != "None":
                doc += ["", "    Returns:", f"        {ret}."]
            doc[-1] += '"""' if len(doc) == 1 else ""
            if len(doc) > 1:
                doc.append('    """')
            inserts.append((node.body[0].lineno - 1, doc))
    for at, doc in sorted(inserts, reverse=True):
        lines[at:at] = doc
    return "\n".join(lines) + "\n"


def add_doc_comments(code: str, lang: str) -> str:
    out = []
    for line in code.splitlines():
        m = re.match(r"^(pub fn|fn|export function|function|async function|func)\s+(\w+)", line)
        if m:
            name = re.sub(r"(?<!^)(?=[A-Z])", "_", m.group(2)).lower()
            if lang == "rust":
                out.append(f"/// {_summary(name)}")
            elif lang == "go":
                out.append(f"// {m.group(2)} {_summary(name)[0].lower() + _summary(name)[1:]}")
            else:
                out += ["/**", f" * {_summary(name)}", " */"]
        out.append(line)
    return "\n".join(out) + "\n"


def api_docs(rng, d: Dialog) -> None:
    lang = one(rng, ["python", "python", "typescript", "rust", "go"])
    pair = one(rng, IDIOMS[lang])(rng)
    documented = add_python_docstrings(pair.after) if lang == "python" else add_doc_comments(pair.after, lang)
    style = {"python": "Google-style docstrings", "typescript": "JSDoc", "rust": "`///` doc comments",
             "go": "Go doc comments (starting with the name)"}[lang]
    label = {"python": "Python", "typescript": "TypeScript", "rust": "Rust", "go": "Go"}[lang]
    d.user(pick(rng, API_ASKS).format(L=label) + "\n\n" + fence(lang, pair.after))
    d.say(one(rng, [f"With {style}:", f"Documented using {style}:", f"Here it is with {style}."]) + "\n\n"
          + fence(lang, documented) + "\n\n" + one(rng, ["Each comment says what the function does; the types say the rest.",
                                                         "Expand the summaries with domain detail where it helps.",
                                                         "These render in IDE hovers and the generated reference."]))


def readme(rng, d: Dialog) -> None:
    if rng.random() < 0.5:
        folder = one(rng, ["worker", "native", "web/src", "src/shoplite"])
        calls = [("glob", {"pattern": "**/*", "path": folder})]
        d.user(pick(rng, README_FOLDER_ASKS).format(f=folder))
        outs = d.calls(calls, content=one(rng, ["Looking at what's in the folder first.", None]))
        files = [f for f in outs[0].splitlines() if f and f != "No files found"]
        syms = [s.name for f in files for s in symbols_in(d.ws, f) if s.kind in ("function", "class", "struct", "interface")]
        md = (f"## `{folder}/`\n\n" + one(rng, ["Contents:", "Files:"]) + "\n\n" + "\n".join(f"- `{f}`" for f in files)
              + ("\n\nMain entry points: " + ", ".join(f"`{s}`" for s in syms[:6]) + "." if syms else ""))
        d.say(describe(rng, d.ws, "glob", calls[0][1], outs[0]) + "\n\n" + fence("markdown", md))
        return
    e = entity(rng)
    pair = one(rng, IDIOMS["python"])(rng)
    funcs = re.findall(r"^def (\w+)", pair.after, re.MULTILINE)
    d.user(pick(rng, README_MODULE_ASKS).format(m=e.plural) + "\n\n" + fence("python", pair.after))
    md = (f"# {e.plural}\n\n{one(rng, ['Helpers for', 'Utilities for', 'Small functions for'])} {e.domain}.\n\n"
          f"## Install\n\n```bash\npip install {e.plural.replace('_', '-')}\n```\n\n## API\n\n"
          + "\n".join(f"- `{f}`: {_summary(f).lower()}" for f in funcs) + "\n\n## Development\n\n```bash\npytest -q\n```")
    d.say(fence("markdown", md) + "\n\n" + one(rng, ["Add a usage example once the API settles.",
                                                     "Keep the API list in sync with `__all__`.", ""]))


COMMENTS = [
    ("src/shoplite/pricing.py", "    return (amount_cents * rate_percent + 50) // 100",
     "    # +50 before the integer division rounds half up to the nearest cent."),
    ("src/shoplite/auth.py", "    return hmac.compare_digest(hash_token(presented, salt), stored_hash)",
     "    # compare_digest takes constant time; == would leak how many characters matched."),
    ("src/shoplite/api.py", "    if not isinstance(raw, int) or isinstance(raw, bool):",
     "    # bool is a subclass of int, so True/False must be rejected explicitly."),
    ("src/shoplite/storage.py", "        with self._conn:\n            cur = self._conn.execute(",
     "        # The connection as a context manager commits on success and rolls back on error."),
    ("native/src/lib.rs", "    const MOD: u32 = 65_521;", "    // Largest prime below 2^16, as Adler-32 (RFC 1950) requires."),
    ("worker/main.go", "\tdefer rows.Close()", "\t// Close releases the connection back to the pool even on early return."),
    ("src/shoplite/cart.py", "        if self.item_count() - (current.quantity if current else 0) + new_quantity > self.max_items:",
     "        # Check the limit before mutating, so a rejected add leaves the cart unchanged."),
    ("src/shoplite/pricing.py", "    return percent if today < expires else 0",
     "    # Codes expire at the start of their expiry date (midnight UTC), hence <."),
    ("src/shoplite/inventory.py", "        return self._stock.get(sku, 0) - self._reserved.get(sku, 0)",
     "        # Reserved units are still on the shelf but already promised to an order."),
    ("src/shoplite/inventory.py", "        if self.available(sku) < quantity:",
     "        # Check before recording the reservation, so a refused reserve leaves the counts untouched."),
    ("src/shoplite/config.py", "        allowed_origins=tuple(o.strip() for o in origins.split(\",\") if o.strip()),",
     "        # Skip empty entries: a trailing comma must not allow the origin ''."),
    ("src/shoplite/auth.py", "    return hashlib.pbkdf2_hmac(\"sha256\", token.encode(), salt, 200_000).hex()",
     "    # A slow key derivation: a leaked hash table costs an attacker 200k rounds per guess."),
    ("src/shoplite/storage.py", "        self._conn.execute(SCHEMA)",
     "        # CREATE TABLE IF NOT EXISTS: opening an existing database is safe and changes nothing."),
    ("src/shoplite/api.py", "    if bearer_token(headers.get(\"Authorization\")) is None:",
     "    # Authenticate before reading the body, so anonymous callers learn nothing from validation errors."),
    ("src/shoplite/pricing.py", "    entry = DISCOUNT_CODES.get(code.strip().upper())",
     "    # Customers type codes in any case and with stray spaces; match them the way they are stored."),
    ("src/shoplite/orders.py", "        if new not in TRANSITIONS.get(current, set()):",
     "        # An unknown current state has no allowed moves, rather than raising KeyError."),
]


def inline_comments(rng, d: Dialog) -> None:
    file, line, comment = one(rng, COMMENTS)
    ask = _with_context(rng, pick(rng, COMMENT_ASKS).format(f=file), COMMENT_CONTEXT, 0.5)
    d.user(f"{ask} {pick(rng, COMMENT_LIMITS)}".strip())
    text = d.ws.text(file)
    args: dict = {"file_path": file}
    if len(text.splitlines()) > 16 and rng.random() < 0.6:  # a window around the line, as agents read long files
        at = text[: text.index(line)].count("\n") + 1
        args = {"file_path": file, "offset": max(1, at - rng.randint(2, 5)), "limit": rng.randint(8, 12)}
    out = d.call("read", args, content=one(rng, ["Reading it first.", None, "Let me see the code.",
                                                 f"Opening `{file}`."]))
    d.calls([("edit", {"file_path": file, "old_string": line, "new_string": comment + "\n" + line})],
            content=describe(rng, d.ws, "read", args, out) + " "
            + one(rng, ["One line needs a why-comment; the rest explains itself.",
                        "Most of it is self-explanatory. One line isn't:"]))
    d.say(one(rng, ["Added:", "The comment I added:", "Done:"]) + f" `{comment.strip()}` " + one(rng, [
        "I left the other lines alone: comments that restate the code go stale.",
        "That's the non-obvious decision a future reader would otherwise 'fix'.",
        "Comments that explain intent survive refactors better than ones that narrate steps.", ""]).rstrip())


def migration_guides(rng, d: Dialog) -> None:
    e = entity(rng)
    old, new = f"get_{e.plural}", f"list_{e.plural}"
    v = rng.randint(2, 5)
    kw = one(rng, ["limit", "page_size", "max_items"])
    d.user(pick(rng, MIGRATION_ASKS).format(v=v, o=old, n=new, k=kw))
    before = f"from {e.plural} import {old}\n\nrows = {old}(\"active\", 50)\n"
    after = f"from {e.plural} import {new}\n\nrows = {new}(\"active\", {kw}=50)\n"
    guide = (f"## Upgrading to v{v}.0\n\n### `{old}` is now `{new}`\n\n" + one(rng, [
        f"`{kw}` is keyword-only, so calls can't pass it positionally by mistake.",
        f"The new name matches the other `list_*` functions; `{kw}` must now be named."]))
    d.say(guide + "\n\nBefore:\n\n" + fence("python", before) + "\n\nAfter:\n\n" + fence("python", after) + "\n\n"
          + bullets(some(rng, [f"`{old}` still works in v{v}.0 but emits a `DeprecationWarning`; it is removed in v{v + 1}.0.",
                               f"Search your code with `grep -rn '{old}(' .` to find call sites.",
                               "No data migration is needed.", "Type checkers flag positional calls once you upgrade."], 2, 3)))


GENERATOR = SubcategoryGenerator({
    "commit_messages": commit_messages, "readme": readme, "api_docs": api_docs,
    "inline_comments": inline_comments, "migration_guides": migration_guides,
})


@hookimpl
def register_categories(register):
    register(Category(name="documentation", spec_path=spec_path("documentation"), generator=GENERATOR,
                      description="Commit messages, READMEs, API docs, inline comments, migration guides"))
