"""Scrubbing secrets and personal data out of text before any ingested record is written.

Kinds: e-mail addresses, API keys and tokens (OpenAI, Anthropic, GitHub, AWS access and secret keys,
Slack tokens and webhooks, Google, Stripe, JWTs), private key blocks, credentials in URLs (user:pass@
and token-like query parameters), credentials in ``Authorization`` headers, quoted secrets assigned to
secret-named variables and unquoted generated-looking ones (mixed character classes, >= 3.5 bits of
entropy per character), user names in home paths and internal host names -- plus every vendor rule of
Yelp's detect-secrets (GitLab, SendGrid, Twilio, Discord, Square, Mailchimp, npm, PyPI, Azure, IBM,
...), each behind its own keyword test. Each finding becomes a placeholder such as ``<EMAIL_1>``; the same value
gets the same placeholder everywhere in one record (``Scrubber.begin_record``), so a conversation that
mentions a key twice still reads consistently. Counts per kind accumulate for the ingest report.

Every pattern is guarded by a cheap substring test so ordinary text pays almost nothing, and no pattern
matches ordinary code: each needs a vendor prefix, a key-block marker, a secret-named variable with a
quoted literal, or a home-directory path.
"""

from __future__ import annotations

import functools
import math
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

# Values that are placeholders already, not secrets: leave them alone.
_PLACEHOLDER_VALUE = re.compile(
    r"^(?:<[^>]*>|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\{.*\}|%\(?\w+\)?s?|x{4,}|\*{3,}|\.{3,}|"
    r"(?:your|my|the)[-_ ]?\w*|changeme|example\w*|dummy\w*|test\w*|placeholder\w*|redacted\w*|none|null|true|false)$",
    re.IGNORECASE,
)
_ALLOWED_EMAIL = re.compile(r"(?i)^(?:noreply@anthropic\.com|[^@]+@(?:[\w-]+\.)*example\.(?:com|org|net))$")
_HOME_NAME = re.compile(r"(?:/Users/|/home/)([A-Za-z0-9._][A-Za-z0-9._-]{0,31})")
# Home-folder names too common as ordinary words to be replaced outside a path.
_COMMON_NAMES = {"admin", "build", "code", "data", "deploy", "docker", "guest", "node", "test", "work",
                 "vagrant", "ec2-user", "python", "jenkins", "git", "app", "web", "www", "dev", "home", "users"}
_NOT_USERS = {"shared", "runner", "ubuntu", "root", "user", "username", "you", "me", "<user>", "linuxbrew",
              # service and container accounts: not a person
              "app", "appuser", "node", "www-data", "nobody", "jovyan", "vscode", "codespace", "circleci",
              "travis", "git", "postgres", "ec2-user", "vagrant", "jenkins", "docker", "builder", "runneradmin"}


@dataclass(frozen=True)
class Rule:
    """One kind of secret: a guard substring test, a pattern, and which group holds the secret."""

    kind: str
    guard: Callable[[str], bool]
    pattern: re.Pattern[str]
    group: int = 0  # the group replaced, the rest of the match kept; -1: decided per match (_replace)
    random_only: bool = False  # replace only values that look generated (see _looks_random)


def _has(*needles: str) -> Callable[[str], bool]:
    return lambda text: any(n in text for n in needles)


_SECRET_NAMES = (
    r"(?:password|passwd|pwd|secret|secret[_-]?key|client[_-]?secret|api[_-]?key|apikey|access[_-]?token|"
    r"auth[_-]?token|refresh[_-]?token|bearer[_-]?token|private[_-]?key|token)"
)

RULES: tuple[Rule, ...] = (
    Rule("private_key", _has("PRIVATE KEY"), re.compile(
        r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----.*?-----END \1PRIVATE KEY(?: BLOCK)?-----",
        re.DOTALL)),
    # A block cut short (a truncated tool result): the key material up to where the text stops.
    Rule("private_key", _has("PRIVATE KEY-----"), re.compile(
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[A-Za-z0-9+/=\s:,-]*")),
    Rule("slack_webhook", _has("hooks.slack.com"), re.compile(
        r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_-]{20,}")),
    Rule("url_credentials", _has("://"), re.compile(
        r"\b[a-z][a-z0-9+.-]*://[^\s:/@\"'<>]+:([^\s/@\"'<>]{3,})@"), 1),
    Rule("anthropic_key", _has("sk-ant-"), re.compile(r"\bsk-ant-(?:[a-z]+\d*-)?[A-Za-z0-9_-]{32,}")),
    Rule("openai_key", _has("sk-"), re.compile(
        r"\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}"
        r"|\bsk-(?:proj-|svcacct-|admin-)[A-Za-z0-9_-]{40,}|\bsk-[A-Za-z0-9]{48}\b")),
    Rule("github_token", _has("gh", "github_pat_"), re.compile(
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b")),
    Rule("aws_access_key", _has("AKIA", "ASIA"), re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")),
    Rule("aws_secret_key", lambda t: "aws" in t.lower(), re.compile(
        r"(?i)aws_?secret_?(?:access_?)?key[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"), 1),
    Rule("slack_token", _has("xox"), re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    Rule("google_api_key", _has("AIza"), re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    Rule("stripe_key", _has("_live_", "_test_"), re.compile(r"\b[sr]k_(?:live|test)_[0-9A-Za-z]{24,}")),
    Rule("jwt", _has("eyJ"), re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    Rule("url_secret_param", _has("?", "&"), re.compile(
        r"[?&](?:access_token|api_key|apikey|token|key|secret|sig|signature|password|auth)=([^&\s\"'<>#]{8,})",
        re.IGNORECASE), 1),
    Rule("assigned_secret", lambda t: "=" in t or ":" in t, re.compile(
        r"(?i)\b[\w.-]*" + _SECRET_NAMES + r"[\"']?\s*(?::|=|:=)\s*[\"']([^\"'\s]{8,200})[\"']"), 1),
    # Credentials in an Authorization header, whatever the scheme: curl -H, HTTP dumps, header dicts.
    Rule("authorization", lambda t: "uthorization" in t or "UTHORIZATION" in t, re.compile(
        r"(?i)\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?(?:(?:bearer|basic|token|digest|apikey|"
        r"api-key|sso-key|key)\s+)?([A-Za-z0-9._~+/=:-]{8,})"), 1, random_only=True),
    # An unquoted high-entropy value assigned to a secret-like name (.env files, shell exports).
    Rule("assigned_secret", lambda t: "=" in t or ":" in t, re.compile(
        r"(?i)\b[\w.-]*" + _SECRET_NAMES + r"\s*(?::|=|:=)\s*([A-Za-z0-9_+/=-]{16,200})(?![\w(.\[])"), 1,
        random_only=True),
    Rule("email", _has("@"), re.compile(r"\b[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}\b")),
    Rule("home_user", _has("/Users/", "/home/", "\\Users\\"), re.compile(
        r"(?:/Users/|/home/|[A-Za-z]:\\+Users\\+)([A-Za-z0-9._][A-Za-z0-9._-]{0,31})"), 1),
    # Claude Code names project folders after the path with "/" turned into "-": -Users-NAME-project
    Rule("home_user", _has("-Users-", "-home-"), re.compile(r"(?<![\w-])-(?:Users|home)-([A-Za-z0-9._]{1,32})"), 1),
    # A shell prompt "user@host:~/dir$": both the user and the machine name.
    Rule("home_user", _has("@"), re.compile(r"(?m)(?:^|(?<=\s)|(?<=\())([a-z_][a-z0-9_.-]{0,31})@[A-Za-z0-9][\w.-]{0,62}:[~/]"), 1),
    Rule("hostname", _has("@"), re.compile(
        r"(?m)(?:^|(?<=\s)|(?<=\())(?:<HOME_USER_\d+>|[a-z_][a-z0-9_.-]{0,31})@([A-Za-z0-9][\w-]{0,62})(?=[\w.-]*:[~/])"), 1),
    Rule("hostname", _has(".local", ".internal", ".corp", ".lan", ".intranet", ".localdomain"), re.compile(
        r"\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:local|internal|corp|lan|intranet|localdomain)\b",
        re.IGNORECASE)),
)


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _looks_random(value: str) -> bool:
    """A generated credential, not a word or identifier: letters and digits mixed, or two letter
    cases, and at least 3.5 bits of entropy per character (identifiers like ``settings_api_key``
    and ``MY_TOKEN_NAME`` fall short)."""
    classes = sum(bool(re.search(p, value)) for p in ("[a-z]", "[A-Z]", "[0-9]"))
    if classes < 2 or re.fullmatch(r"[a-z_][a-z0-9_]*|[A-Z_][A-Z0-9_]*", value):
        return False
    return entropy(value) >= 3.5


# detect-secrets' (Yelp) vendor rules: each regex-based plugin's patterns, by the plugin's secret type.
# Its keyword and entropy plugins are not used (the rules above cover secret-named assignments with
# fewer false alarms on code), nor its public-IP plugin (an address is not a credential), nor its
# Artifactory one (``AP[0-9A-F]`` + 8 characters matches CamelCase names such as ``APBaseHandler2``);
# private keys, JWTs and URL credentials have rules above.
_DETECT_SECRETS_SKIPPED = {"Public IP (ipv4)", "Private Key", "JSON Web Token", "Basic Auth Credentials",
                           "Artifactory Credentials"}


def detect_secrets_rules() -> tuple[Rule, ...]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    rules = []
    for secret_type, plugin in sorted(get_mapping_from_secret_type_to_class().items()):
        if not issubclass(plugin, RegexBasedDetector) or secret_type in _DETECT_SECRETS_SKIPPED:
            continue
        kind = re.sub(r"[^a-z0-9]+", "_", secret_type.lower()).strip("_")
        words = DETECT_SECRETS_KEYWORDS.get(secret_type)
        guard = _always if words is None else _has_lower(*words)
        rules.extend(Rule(kind, guard, pattern, -1) for pattern in plugin().denylist)
    return tuple(rules)


# A cheap substring test per detect-secrets type, lower-cased (a few of its patterns ignore case), as
# gitleaks gives each rule keywords: most text holds none, and its patterns cost nothing there. A
# type missing here (a newer detect-secrets) is always scanned.
DETECT_SECRETS_KEYWORDS: dict[str, tuple[str, ...]] = {
    "AWS Access Key": ("akia", "asia", "abia", "acca", "a3t", "aws"),
    "Azure Storage Account access key": ("accountkey",),
    "Cloudant Credentials": ("cloudant",),
    "Discord Bot Token": (".",),
    "GitHub Token": ("gh", "github_pat"),
    "GitLab Token": ("gl", "gr1348941"),
    "IBM COS HMAC Credentials": ("secret",),
    "IBM Cloud IAM Key": ("ibm", "iam"),
    "Mailchimp Access Key": ("-us",),
    "NPM tokens": ("_authtoken",),
    "OpenAI Token": ("sk-",),
    "PyPI Token": ("pypi-",),
    "SendGrid API Key": ("sg.",),
    "Slack Token": ("xox", "hooks.slack.com"),
    "SoftLayer Credentials": ("softlayer", "sl", "api"),
    "Square OAuth Secret": ("sq0",),
    "Stripe Access Key": ("_live_", "_test_"),
    "Telegram Bot Token": (":",),
    "Twilio API Key": ("sk", "ac"),
}


def _always(_text: str) -> bool:
    return True


_lowered = threading.local()  # (text, text.lower()): the rules of one scrub() share its lower-casing


def _has_lower(*needles: str) -> Callable[[str], bool]:
    def guard(text: str) -> bool:
        last = getattr(_lowered, "last", None)
        if last is None or last[0] is not text:  # per thread: threads scrubbing at once keep their own
            last = _lowered.last = (text, text.lower())
        return any(n in last[1] for n in needles)

    return guard


@dataclass
class Scrubber:
    """Replaces secrets with placeholders, consistently within a record, counting per kind."""

    counts: Counter = field(default_factory=Counter)
    _seen: dict[tuple[str, str], str] = field(default_factory=dict)
    _next: Counter = field(default_factory=Counter)
    _names: re.Pattern[str] | None = None

    def begin_record(self, texts: Iterable[str] = ()) -> None:
        """Start a new record: numbering and the value -> placeholder map restart. User names found
        in home paths anywhere in ``texts`` (the record's strings) are then scrubbed wherever they
        appear in the record, e.g. as the owner column of ``ls -l`` output."""
        self._seen.clear()
        self._next.clear()
        self._names = None
        names = set()
        for text in texts:
            if "/Users/" in text or "/home/" in text:
                names.update(m.group(1) for m in _HOME_NAME.finditer(text))
        names = {n for n in names if len(n) >= 4 and n.lower() not in _NOT_USERS and n.lower() not in _COMMON_NAMES}
        if names:
            for n in sorted(names):
                self._placeholder("home_user", n)
            self._names = re.compile(r"(?<![\w/.-])(" + "|".join(map(re.escape, sorted(names))) + r")(?![\w-])")

    def _placeholder(self, kind: str, value: str) -> str:
        key = (kind, value)
        ph = self._seen.get(key)
        if ph is None:
            self._next[kind] += 1
            ph = f"<{kind.upper()}_{self._next[kind]}>"
            self._seen[key] = ph
        return ph

    def _keep(self, rule: Rule, value: str) -> bool:
        if rule.kind == "email":
            return bool(_ALLOWED_EMAIL.match(value)) or value.lower().startswith("git@")
        if rule.kind == "home_user":
            return value.lower() in _NOT_USERS or value.startswith("<")
        placeholder_kinds = ("assigned_secret", "url_secret_param", "url_credentials", "authorization")
        if rule.kind in placeholder_kinds and (_PLACEHOLDER_VALUE.match(value) or value.startswith("<")):
            return True
        return rule.random_only and not _looks_random(value)

    def scrub(self, text: str) -> str:
        if text not in _CLEAN:
            replaced = self.counts.total()
            scanned = text
            for rule in _rules():
                if not rule.guard(scanned):
                    continue
                scanned = rule.pattern.sub(lambda m, r=rule: self._replace(r, m), scanned)
            if scanned is text or (scanned == text and self.counts.total() == replaced):
                _remember_clean(text)
            text = scanned
        if self._names is not None:
            text = self._names.sub(lambda m: self._count_name(m.group(1)), text)
        return text

    def _count_name(self, name: str) -> str:
        self.counts["home_user"] += 1
        return self._placeholder("home_user", name)

    def _replace(self, rule: Rule, m: re.Match[str]) -> str:
        group = rule.group
        if group < 0:  # detect-secrets' patterns: a group of key length holds the key, else the whole match
            group = max(range(1, m.re.groups + 1), key=lambda g: len(m.group(g) or ""), default=0)
            group = group if group and len(m.group(group) or "") >= 16 else 0
            if group == 0:  # its patterns take the delimiters around a key into the match: keep them
                whole = m.group(0)
                inner = whole.strip(" \t\r\n=:\"'")
                head = whole.index(inner) if inner else 0
                if not inner or self._keep(rule, inner):
                    return whole
                self.counts[rule.kind] += 1
                return whole[:head] + self._placeholder(rule.kind, inner) + whole[head + len(inner):]
            rule = Rule(rule.kind, rule.guard, rule.pattern, group, rule.random_only)
        value = m.group(group)
        if value is None or self._keep(rule, value):
            return m.group(0)
        self.counts[rule.kind] += 1
        ph = self._placeholder(rule.kind, value)
        if rule.group == 0:
            return ph
        start, end = m.span(rule.group)
        base = m.start(0)
        whole = m.group(0)
        return whole[: start - base] + ph + whole[end - base:]

    def scrub_value(self, obj: Any) -> Any:
        """Scrub every string inside a JSON-like value (tool-call arguments, meta)."""
        if isinstance(obj, str):
            return self.scrub(obj)
        if isinstance(obj, list):
            return [self.scrub_value(v) for v in obj]
        if isinstance(obj, dict):
            return {k: self.scrub_value(v) for k, v in obj.items()}
        return obj

    def scrub_messages(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for msg in messages:
            msg = dict(msg)
            for key in ("content", "reasoning"):
                if isinstance(msg.get(key), str):
                    msg[key] = self.scrub(msg[key])
            if msg.get("tool_calls"):
                msg["tool_calls"] = [
                    {**c, "function": {**c["function"], "arguments": self.scrub_value(c["function"]["arguments"])}}
                    for c in msg["tool_calls"]
                ]
            out.append(msg)
        return out


# Texts in which no rule replaced anything. The rules do not depend on the record (only the home
# user names do, applied apart), so such a text is clean in every record: rollouts and ingested logs
# repeat the same system prompt, tool schemas and file contents in record after record, and each is
# scanned once per process instead of once per record.
_CLEAN: set[str] = set()
CLEAN_CHARS = 16 << 20  # characters remembered at most (then all forgotten and learnt again)
_clean_chars = [0]
_CLEAN_LOCK = threading.Lock()


def _remember_clean(text: str) -> None:
    size = len(text) + 64  # a short text costs its set entry
    if size > CLEAN_CHARS // 8:
        return  # a text this long is scanned every time
    with _CLEAN_LOCK:  # only on a miss; the look-up itself takes no lock
        if _clean_chars[0] + size > CLEAN_CHARS:
            _CLEAN.clear()
            _clean_chars[0] = 0
        _CLEAN.add(text)
        _clean_chars[0] += size


_RULES_LOCK = threading.Lock()


def _rules() -> tuple[Rule, ...]:
    """Built once per process: threads that scrub at once (rollouts) wait for the first one instead of
    each importing detect-secrets' plugins (as ``namespaces_available`` waits for its probe)."""
    with _RULES_LOCK:
        return _built_rules()


@functools.cache
def _built_rules() -> tuple[Rule, ...]:
    return RULES + detect_secrets_rules()


def iter_strings(obj: Any) -> Iterator[str]:
    """Every string inside a JSON-like value."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from iter_strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from iter_strings(v)
