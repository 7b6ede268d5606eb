"""The command allowlist of the rollout sandbox: which shell command lines a model may run in its copy.

:func:`check_command` refuses (:class:`Refused`) a command line whose program is not on the
documented allowlist (file inspection, git read commands, test runners, build tools), that uses
command substitution or variable expansion, that reaches the network, or that names a path outside
the copy. The jail (:mod:`factory.rollout.sandbox`) holds whatever a permitted program then does.
"""

from __future__ import annotations

import posixpath
import re
import shlex

INSPECT = {"ls", "cat", "head", "tail", "wc", "grep", "egrep", "fgrep", "rg", "find", "tree", "file", "stat",
           "du", "sort", "uniq", "cut", "tr", "diff", "cmp", "echo", "printf", "pwd", "true", "false", "test",
           "[", "sed", "basename", "dirname", "realpath", "nl", "sleep", "date", "which"}
CHANGE = {"mkdir", "touch", "cp", "mv", "rm", "rmdir", "cd"}
BUILD = {"pytest", "ruff", "mypy", "gofmt", "rustc", "tsc", "make", "node"}
WITH_SUBCOMMANDS = {
    # read commands, and the local ones that change only the copy's own history and index
    "git": {"status", "diff", "log", "show", "ls-files", "grep", "blame", "rev-parse", "branch", "shortlog",
            "describe", "cat-file", "stash", "add", "restore", "checkout", "switch", "reset", "commit"},
    "go": {"test", "build", "vet", "fmt", "run", "list", "version", "env", "doc"},
    "cargo": {"test", "build", "check", "fmt", "clippy", "run", "tree", "metadata"},
    "npm": {"test", "run", "ls"},
    "npx": {"tsc", "jest", "vitest", "eslint", "prettier", "mocha"},
}
# Options of Node's test runner that run nothing but the repository's own test files.
NODE_TEST_OPTION = re.compile(r"--test|--test-reporter=(?:spec|dot|tap)|--test-only|--test-name-pattern=[^/]+"
                              r"|--test-concurrency=\d+|--test-timeout=\d+")
PYTHON = {"python", "python3"}
PYTHON_MODULES = {"pytest", "unittest", "compileall", "py_compile", "mypy", "ruff", "doctest", "pyflakes",
                  "json.tool", "tokenize", "ast"}
NETWORK = {"curl", "wget", "nc", "ncat", "netcat", "ssh", "scp", "sftp", "rsync", "ftp", "telnet", "pip", "pip3",
           "apt", "apt-get", "yum", "dnf", "brew", "docker", "socat", "ping", "dig", "nslookup", "http", "aria2c"}
CONTROL = {"&&", "||", ";", "|", "&", ";;"}
# VAR=value prefixes a command may carry (others could change what a program runs: LD_PRELOAD, GIT_*).
ENV_PREFIXES = {"PYTHONPATH", "CI", "NO_COLOR", "RUST_BACKTRACE", "NODE_ENV", "TZ", "LANG", "LC_ALL"}
_GLOB = re.compile(r"[*?\[]")
_EXPANSION = re.compile(r"\$[A-Za-z_{(@*#!0-9-]")
REDIRECT = {">", ">>", "<", ">&", "<&", ">|", "&>"}


def allowed_programs() -> list[str]:
    return sorted(INSPECT | CHANGE | BUILD | PYTHON | set(WITH_SUBCOMMANDS))


class Refused(Exception):
    pass


def _inside(path: str, cwd: str, root: str) -> bool:
    """``path`` (as a command argument, relative to ``cwd`` in the copy) stays inside ``root``."""
    if path.startswith("~"):
        return False
    full = posixpath.normpath(path if path.startswith("/") else posixpath.join(cwd, path))
    return full == root or full.startswith(root.rstrip("/") + "/")


def _path_like(token: str) -> list[str]:
    """The parts of an argument that may name a path: the token itself, the value of ``--opt=VALUE``,
    or of a short option with its value glued on (``-C/``, ``-f../x``)."""
    if token.startswith("--"):
        _, eq, value = token.partition("=")
        return [value] if eq and value else []
    if token.startswith("-") and len(token) > 2:
        _, eq, value = token.partition("=")
        at = next((i for i, ch in enumerate(token[1:], 1) if ch in "/~."), None)
        glued = token[at:] if at is not None else ""
        return [v for v in (value if eq else "", glued) if v and (v[0] in "/~." or "/" in v)]
    return [token]


def _check_word(word: str) -> None:
    """Refuse shell patterns that could name something outside the copy once the shell expands them."""
    for part in word.split("/"):
        if part.startswith(".") and _GLOB.search(part):
            raise Refused(f"'{word}': a pattern starting with '.' could match '..'; name the path itself")
    if "{" in word and ("," in word or ".." in word):
        raise Refused(f"'{word}': brace expansion is not allowed in the sandbox")


def check_command(command: str, root: str) -> None:
    """Raise :class:`Refused` unless every simple command of ``command`` is allowed and names no
    path outside the copy. ``root`` is the copy as commands see it."""
    if not command.strip():
        raise Refused("the command is empty")
    if "\0" in command:
        raise Refused("the command contains a NUL byte")
    if "`" in command or "$(" in command or "<(" in command or ">(" in command:
        raise Refused("command substitution is not allowed in the sandbox; run the commands one by one")
    if "\\\n" in command or "<<" in command:
        raise Refused("line continuations and here-documents are not allowed in the sandbox; write a file instead")
    if _EXPANSION.search(re.sub(r"'[^']*'", "", command)):
        raise Refused("shell variables are not expanded in the sandbox; write the value itself")
    command = command.replace("\r", " ").replace("\n", " ; ")
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|<>")
        lexer.whitespace_split = True
        lexer.commenters = ""
        tokens = list(lexer)
    except ValueError as exc:
        raise Refused(f"cannot parse the command: {exc}") from None
    cwd = root
    words: list[str] = []

    def finish() -> None:
        nonlocal cwd
        if words:
            cwd = _check_simple(words, cwd, root)
            words.clear()

    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in CONTROL:
            finish()
        elif tok in REDIRECT or tok in {"2>", "2>>", "1>"} or (tok.endswith(">") and tok[:-1].isdigit()):
            target = tokens[i + 1] if i + 1 < len(tokens) else ""
            i += 1
            if target.startswith("&") or target in {"/dev/null", "/dev/stdout", "/dev/stderr"}:
                pass
            elif target and not _inside(target, cwd, root):
                raise Refused(f"'{target}' is outside the repository copy; only files inside it can be written")
        elif words and words[-1].isdigit() and tok.startswith(">"):
            pass
        else:
            words.append(tok)
        i += 1
    finish()


def _check_simple(words: list[str], cwd: str, root: str) -> str:
    """Check one simple command; returns the working directory after it (``cd``)."""
    for w in words:
        _check_word(w)
    while words and "=" in words[0] and not words[0].startswith("=") and words[0].split("=", 1)[0].isidentifier():
        var, _, value = words[0].partition("=")
        if var not in ENV_PREFIXES:
            raise Refused(f"setting {var} for a command is not allowed in the sandbox "
                          f"(allowed: {', '.join(sorted(ENV_PREFIXES))})")
        if value.startswith(("/", "~")) and not _inside(value, cwd, root):
            raise Refused(f"'{value}' is outside the repository copy")
        words = words[1:]
    if not words:
        return cwd
    prog = words[0]
    name = prog.rsplit("/", 1)[-1]
    if "/" in prog:
        if not _inside(prog, cwd, root):
            raise Refused(f"'{prog}' is outside the repository copy; call programs by name")
        name = "./"  # a script in the copy
    if name in NETWORK or (name in {"npm", "yarn", "pnpm"} and len(words) > 1 and words[1] in {"install", "i", "add", "ci"}):
        raise Refused(f"'{name}' needs the network, which the sandbox does not have")
    args = words[1:]
    if name == "./":
        pass  # the model's own script, run inside the jail like a test would be
    elif name == "git" and any(a == "-c" or a.startswith(("--config-env", "--exec-path", "--git-dir", "--work-tree"))
                               for a in args):
        raise Refused("git -c / --config-env / --exec-path / --git-dir are not allowed in the sandbox")
    elif name in WITH_SUBCOMMANDS:
        rest = list(args)
        if name == "git":
            while rest[:1] and rest[0] in {"-C", "--no-pager", "-P"}:
                if rest[0] == "-C":
                    if len(rest) < 2 or not _inside(rest[1], cwd, root):
                        raise Refused("git -C must name a directory inside the repository copy")
                    rest = rest[2:]
                else:
                    rest = rest[1:]
        sub = next((a for a in rest if not a.startswith("-")), "")
        if sub not in WITH_SUBCOMMANDS[name]:
            label = f"{name} {sub}".strip()
            raise Refused(f"'{label}' is not allowed in the sandbox (allowed: {name} "
                          f"{', '.join(sorted(WITH_SUBCOMMANDS[name]))})")
    elif name in PYTHON:
        i = 0
        while i < len(args) and args[i].startswith("-") and args[i] not in {"-m", "-"}:
            opt = args[i]
            if opt.startswith("-c") or (not opt.startswith("--") and "c" in opt[1:] and opt[1:].isalpha()):
                raise Refused("python -c is not allowed in the sandbox; write a script in the repository or a test")
            i += 2 if opt in {"-X", "-W"} else 1
        target = args[i] if i < len(args) else ""
        if target in {"", "-"} and not any(a in {"-V", "--version"} for a in args):
            raise Refused("python reading its program from the terminal is not allowed; run a module (-m pytest) "
                          "or a script in the repository")
        if target == "-m":
            module = args[i + 1] if i + 1 < len(args) else ""
            if module not in PYTHON_MODULES:
                raise Refused(f"python -m {module} is not allowed in the sandbox "
                              f"(modules: {', '.join(sorted(PYTHON_MODULES))})")
        elif target and not _inside(target, cwd, root):
            raise Refused(f"'{target}' is outside the repository copy")
    elif name == "node" and (not args or args[0].startswith("-")):
        options = [a for a in args if a.startswith("-")]
        if "--test" not in options or not all(NODE_TEST_OPTION.fullmatch(o) for o in options):
            raise Refused("node runs a script in the repository (node FILE) or its test runner (node --test "
                          "[--test-reporter=dot|spec|tap] [FILES]); -e / -p / other options are not allowed")
    elif name == "find" and any(a in {"-exec", "-execdir", "-ok", "-okdir", "-fprint", "-fls"} for a in args):
        raise Refused("find -exec is not allowed in the sandbox; run the second command on the files found")
    elif name not in INSPECT | CHANGE | BUILD | {"node"}:
        raise Refused(f"'{name}' is not allowed in the sandbox (allowed: {', '.join(allowed_programs())}; "
                      "see docs/rollouts.md)")
    for arg in args:
        for part in _path_like(arg):
            if (part.startswith(("/", "~")) or ".." in part.split("/")) and not _inside(part, cwd, root) \
                    and part not in {"/dev/null"}:
                raise Refused(f"'{part}' is outside the repository copy")
    if name == "cd":
        target = args[0] if args else root
        new = posixpath.normpath(target if target.startswith("/") else posixpath.join(cwd, target))
        if not _inside(new, cwd, root):
            raise Refused(f"'{target}' is outside the repository copy")
        return new
    return cwd
