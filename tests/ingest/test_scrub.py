"""Scrubbing: a planted-secret corpus mixed into real Claude Code logs, and ordinary code left alone."""

from __future__ import annotations

import base64
import json
import random
import re
import string
from pathlib import Path

from factory.ingest.claude_logs import ClaudeLogOptions, ingest_claude_logs
from factory.ingest.scrub import Scrubber
from factory.ingest.sink import IngestReport, RecordSink
from factory.store.jsonl import read_jsonl
from tests.helpers.cli import FIXTURES

FIXTURES = FIXTURES / "claude_logs"
ALNUM = string.ascii_letters + string.digits


def _rand(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _b64url(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def make_secret(kind: str, rng: random.Random) -> tuple[str, str]:
    """(secret value, the line it is planted in) for one kind, in a realistic setting."""
    if kind == "openai_key":
        value = rng.choice([f"sk-proj-{_rand(rng, 74, ALNUM + '_-')}T3BlbkFJ{_rand(rng, 74, ALNUM + '_-')}",
                            f"sk-{_rand(rng, 20)}T3BlbkFJ{_rand(rng, 20)}"])
        return value, rng.choice([f"export OPENAI_API_KEY={value}", f'client = OpenAI(api_key="{value}")'])
    if kind == "anthropic_key":
        value = f"sk-ant-api03-{_rand(rng, 93, ALNUM + '_-')}AA"
        return value, rng.choice([f"ANTHROPIC_API_KEY={value}", f"curl -H 'x-api-key: {value}' https://api"])
    if kind == "github_token":
        value = rng.choice([f"ghp_{_rand(rng, 36)}", f"gho_{_rand(rng, 36)}",
                            f"github_pat_{_rand(rng, 22)}_{_rand(rng, 59)}"])
        return value, rng.choice([f"git clone https://x-access-token:{value}@github.com/acme/app.git",
                                  f"GITHUB_TOKEN: {value}", f"gh auth login --with-token <<< {value}"])
    if kind == "aws_access_key":
        value = "AKIA" + _rand(rng, 16, string.ascii_uppercase + string.digits)
        return value, f"aws_access_key_id = {value}"
    if kind == "aws_secret_key":
        value = _rand(rng, 40, ALNUM + "/+")
        return value, rng.choice([f"aws_secret_access_key = {value}", f'AWS_SECRET_ACCESS_KEY="{value}"'])
    if kind == "slack_token":
        value = f"xoxb-{_rand(rng, 12, string.digits)}-{_rand(rng, 13, string.digits)}-{_rand(rng, 24)}"
        return value, f"SLACK_BOT_TOKEN={value}"
    if kind == "slack_webhook":
        value = f"https://hooks.slack.com/services/T{_rand(rng, 8)}/B{_rand(rng, 8)}/{_rand(rng, 24)}"
        return value, f"requests.post('{value}', json=payload)"
    if kind == "jwt":
        value = ".".join([_b64url({"alg": "HS256", "typ": "JWT"}),
                          _b64url({"sub": _rand(rng, 8), "iat": rng.randint(10**9, 2 * 10**9)}),
                          _rand(rng, 43, ALNUM + "_-")])
        return value, f"Authorization: Bearer {value}"
    if kind == "private_key":
        body = "\n".join(_rand(rng, 64, ALNUM + "+/") for _ in range(rng.randint(3, 8)))
        label = rng.choice(["RSA ", "EC ", "OPENSSH ", ""])
        value = f"-----BEGIN {label}PRIVATE KEY-----\n{body}\n-----END {label}PRIVATE KEY-----"
        return value, f"cat ~/.ssh/id_rsa\n{value}"
    if kind == "url_credentials":
        value = _rand(rng, 14)
        return value, f"DATABASE_URL=postgres://app_user:{value}@db.acme.io:5432/prod"
    if kind == "url_secret_param":
        value = _rand(rng, 32)
        return value, f"GET https://api.weather.io/v2/forecast?city=Paris&api_key={value}&units=metric"
    if kind == "assigned_secret":
        value = _rand(rng, 16, ALNUM + "!#%^")
        return value, rng.choice([f'DB_PASSWORD = "{value}"', f"'client_secret': '{value}',",
                                  f'password: "{value}"'])
    if kind == "email":
        value = f"{_rand(rng, 6, string.ascii_lowercase)}.{_rand(rng, 7, string.ascii_lowercase)}@acme-corp.com"
        return value, rng.choice([f"Author: Jane Doe <{value}>", f"contact {value} for access"])
    if kind == "google_api_key":
        value = "AIza" + _rand(rng, 35, ALNUM + "_-")
        return value, f"const MAPS_KEY = '{value}';"
    if kind == "stripe_key":
        value = "sk_live_" + _rand(rng, 24)
        return value, f"stripe.api_key = {value}"
    if kind == "home_user":
        value = "q" + _rand(rng, 7, string.ascii_lowercase)
        return value, rng.choice([f"File \"/home/{value}/proj/app.py\", line 3", f"cd /Users/{value}/work/api"])
    if kind == "hostname":
        value = f"build-{rng.randint(1, 99):02d}.{_rand(rng, 5, string.ascii_lowercase)}.corp"
        return value, rng.choice([f"ssh -p 22 {value} 'systemctl restart api'", f"PING {value} (10.0.4.2)"])
    raise AssertionError(kind)


KINDS = ["openai_key", "anthropic_key", "github_token", "aws_access_key", "aws_secret_key", "slack_token",
         "slack_webhook", "jwt", "private_key", "url_credentials", "url_secret_param", "assigned_secret",
         "email", "google_api_key", "stripe_key", "home_user", "hostname"]


def _plant(tmp_path: Path, n_secrets: int, seed: int = 7) -> tuple[Path, list[tuple[str, str, str]]]:
    """Copy the real sessions, planting secrets (with a marker) into user prompts, tool results and
    Bash commands. Returns the folder and (kind, value, marker) per planted secret."""
    rng = random.Random(seed)
    planted: list[tuple[str, str, str]] = []
    out_dir = tmp_path / "planted"
    out_dir.mkdir()
    slots = []
    sessions = {}
    for path in sorted(FIXTURES.glob("*.jsonl")):
        entries = [json.loads(line) for line in path.read_text().splitlines()]
        sessions[path.name] = entries
        for i, e in enumerate(entries):
            content = (e.get("message") or {}).get("content")
            if e.get("type") == "user" and not e.get("isMeta") and isinstance(content, list):
                for j, b in enumerate(content):
                    if b.get("type") == "tool_result" and isinstance(b.get("content"), str):
                        slots.append((path.name, i, ("result", j)))
            elif e.get("type") == "assistant" and isinstance(content, list):
                for j, b in enumerate(content):
                    if b.get("type") == "tool_use" and b["name"] == "Bash":
                        slots.append((path.name, i, ("bash", j)))
    for n in range(n_secrets):
        kind = KINDS[n % len(KINDS)]
        value, line = make_secret(kind, rng)
        marker = f"PLANTMARK{n:04d}"
        name, i, (where, j) = rng.choice(slots)
        block = sessions[name][i]["message"]["content"][j]
        if where == "result":
            block["content"] = f"{marker} {line}\n{block['content']}"
        else:
            block["input"]["command"] = f"echo {marker} && {line.splitlines()[0]} ; {block['input']['command']}"
            if kind == "private_key":  # a key block stays on its own lines, as in a heredoc
                block["input"]["command"] += f" <<'EOF'\n{value}\nEOF"
        planted.append((kind, value, marker))
    for name, entries in sessions.items():
        (out_dir / name).write_text("\n".join(json.dumps(e) for e in entries) + "\n")
    return out_dir, planted


def _strings(obj) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        obj = list(obj.values())
    return [s for v in obj for s in _strings(v)] if isinstance(obj, list) else []


def test_planted_secrets_in_real_logs_are_scrubbed_with_high_recall(tmp_path):
    folder, planted = _plant(tmp_path, 340)
    assert len(planted) >= 200 and len({k for k, _, _ in planted}) >= 10
    out = tmp_path / "out.jsonl"
    with RecordSink(out, IngestReport("claude-logs")) as sink:
        sink.feed(ingest_claude_logs([folder], sink.report, ClaudeLogOptions(keep=frozenset({"all"}), max_tool_result_chars=50_000)))
    text = "\n".join(_strings([o for _, o in read_jsonl(out)]))
    reached = [(k, v) for k, v, marker in planted if marker in text]
    assert len(reached) >= 0.9 * len(planted), "most planted lines must reach the output for a fair test"
    leaked = [(k, v[:20]) for k, v in reached if v in text]
    recall = 1 - len(leaked) / len(reached)
    assert recall >= 0.99, leaked
    counts = sink.report.scrubbed
    assert set(KINDS) <= set(counts), set(KINDS) - set(counts)
    report = json.loads((tmp_path / "out.jsonl.report.json").read_text())
    assert report["scrubbed"] == dict(counts)


def test_scrubbed_records_still_validate_and_placeholders_are_consistent(tmp_path):
    folder, _ = _plant(tmp_path, 60, seed=3)
    out = tmp_path / "out.jsonl"
    with RecordSink(out, IngestReport("claude-logs")) as sink:
        sink.feed(ingest_claude_logs([folder], sink.report, ClaudeLogOptions(keep=frozenset({"all"}))))
    records = [o for _, o in read_jsonl(out)]
    assert records and not sink.report.rejected
    assert any("<EMAIL_1>" in json.dumps(r) or "<OPENAI_KEY_1>" in json.dumps(r) for r in records)


def test_the_same_secret_gets_the_same_placeholder_within_a_record_and_restarts_per_record():
    scrub = Scrubber()
    scrub.begin_record()
    key = "ghp_" + "a1B2c3D4e5" * 4
    first = scrub.scrub(f"token {key} and mail ann@acme.io")
    second = scrub.scrub(f"again {key}, and bob@acme.io, and ann@acme.io")
    assert first == "token <GITHUB_TOKEN_1> and mail <EMAIL_1>"
    assert second == "again <GITHUB_TOKEN_1>, and <EMAIL_2>, and <EMAIL_1>"
    scrub.begin_record()
    assert scrub.scrub("bob@acme.io") == "<EMAIL_1>"
    assert scrub.counts == {"github_token": 2, "email": 4}


def test_secrets_in_tool_call_arguments_and_meta_are_scrubbed():
    scrub = Scrubber()
    scrub.begin_record()
    msgs = scrub.scrub_messages([{"role": "assistant", "content": None, "tool_calls": [
        {"id": "t1", "type": "function", "function": {"name": "Bash", "arguments": {
            "command": "cat /home/jsmith/.env", "env": {"K": "AKIAABCDEFGHIJKLMNOP"}}}}]}])
    args = msgs[0]["tool_calls"][0]["function"]["arguments"]
    assert args == {"command": "cat /home/<HOME_USER_1>/.env", "env": {"K": "<AWS_ACCESS_KEY_1>"}}


ORDINARY_CODE = [
    'password = os.environ["DB_PASSWORD"]',
    'api_key: str = ""',
    "token = get_token(user)",
    'if secret_key is None:\n    raise ValueError("set SECRET_KEY")',
    'EMAIL_RE = re.compile(r"[^@]+@[^@]+\\.[^@]+")',
    "git clone git@github.com:acme/app.git",
    'headers = {"Authorization": f"Bearer {token}"}',
    'url = f"https://{host}:{port}/v1?key={api_key}"',
    "def sk_learn_pipeline(X, y):\n    return make_pipeline(StandardScaler(), SVC()).fit(X, y)",
    "for user in users:\n    print(user.email)",
    'config = {"password": "<your-password>", "token": "${GITHUB_TOKEN}"}',
    "ssh user@localhost -p 2222",
    "cd /home/runner/work && ls ~/projects",
    "WORKDIR /home/app\nCOPY --chown=node:node . /home/node/src",
    "SELECT id, email FROM users WHERE created_at > NOW() - INTERVAL '1 day';",
    'const tokenRegex = /^eyJ/;\nfunction isJwt(s) { return tokenRegex.test(s); }',
    "// TODO(alice): handle the edge case\nlet key = map.get(&id).unwrap();",
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
    'assert response.json()["access_token"] == token',
]


def test_ordinary_code_is_left_untouched():
    scrub = Scrubber()
    for code in ORDINARY_CODE:
        scrub.begin_record()
        assert scrub.scrub(code) == code
    assert sum(scrub.counts.values()) == 0


def test_code_blocks_of_the_real_logs_without_secrets_are_unchanged():
    """Every file the real sessions read or edited, and every command they ran, passes unchanged
    apart from the session author's home directory."""
    scrub = Scrubber()
    texts = []
    for path in FIXTURES.glob("*.jsonl"):
        for _, e in read_jsonl(path):
            for b in (e.get("message") or {}).get("content") or []:
                if isinstance(b, dict) and b.get("type") == "tool_result" and isinstance(b.get("content"), str):
                    texts.append(b["content"])
                if isinstance(b, dict) and b.get("type") == "tool_use":
                    texts.extend(v for v in b["input"].values() if isinstance(v, str))
    assert len(texts) > 100
    home = re.compile(r"/Users/dain\b")
    changed = []
    for text in texts:
        scrub.begin_record()
        if scrub.scrub(text) != home.sub("/Users/<HOME_USER_1>", text):
            changed.append(text[:200])
    assert changed == []
    assert set(scrub.counts) <= {"home_user"}


def test_a_private_key_cut_short_by_truncation_is_still_removed():
    scrub = Scrubber()
    scrub.begin_record()
    text = "key:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    assert scrub.scrub(text + "[... 900 characters truncated]") == "key:\n<PRIVATE_KEY_1>[... 900 characters truncated]"


def test_a_user_name_seen_in_a_home_path_is_scrubbed_everywhere_in_the_record():
    scrub = Scrubber()
    texts = ["cd /home/mkowalski/api", "drwxr-xr-x 2 mkowalski staff 64 Jan 1 .\nmkowalski@devbox:~/api$ make"]
    scrub.begin_record(texts)
    out = [scrub.scrub(t) for t in texts]
    assert out[0] == "cd /home/<HOME_USER_1>/api"
    assert out[1] == "drwxr-xr-x 2 <HOME_USER_1> staff 64 Jan 1 .\n<HOME_USER_1>@<HOSTNAME_1>:~/api$ make"
    scrub.begin_record(["/home/test/x"])  # too common a word to replace outside paths
    assert scrub.scrub("run the test suite in /home/test/x") == "run the test suite in /home/<HOME_USER_1>/x"


# Credentials of kinds the factory's own patterns do not name: detect-secrets' rules catch them.
DETECT_SECRETS_KINDS = {
    "gitlab_token": "git remote set-url origin https://oauth2:{v}@gitlab.com/x/y.git && echo {v}",
    "sendgrid_api_key": "SENDGRID_KEY = {v}",
    "twilio_api_key": "client = Client({v}, auth)",
    "discord_bot_token": "bot.run({v})",
    "square_oauth_secret": "oauth: {v}",
    "mailchimp_access_key": "mc.setConfig(apiKey: {v})",
}


def _detect_secrets_value(kind: str, rng: random.Random) -> str:
    hexdigits = "0123456789abcdef"
    return {
        "gitlab_token": f"glpat-{_rand(rng, 20)}",
        "sendgrid_api_key": f"SG.{_rand(rng, 22)}.{_rand(rng, 43)}",
        "twilio_api_key": f"SK{_rand(rng, 32, hexdigits)}",
        "discord_bot_token": f"M{_rand(rng, 23)}.{_rand(rng, 6)}.{_rand(rng, 27)}",
        "square_oauth_secret": f"sq0csp-{_rand(rng, 43)}",
        "mailchimp_access_key": f"{_rand(rng, 32, hexdigits)}-us{rng.randint(1, 20)}",
    }[kind]


def test_secrets_of_kinds_only_an_established_detector_knows_are_scrubbed():
    rng = random.Random(7)
    for kind, line in DETECT_SECRETS_KINDS.items():
        for _ in range(5):
            scrub = Scrubber()
            value = _detect_secrets_value(kind, rng)
            out = scrub.scrub(line.format(v=value))
            assert value not in out, (kind, out)


def test_authorization_headers_and_unquoted_generated_values_are_scrubbed():
    rng = random.Random(3)
    token = _rand(rng, 32)
    basic = base64.b64encode(b"deploy:" + _rand(rng, 16).encode()).decode()
    lines = [f'curl -H "Authorization: Bearer {token}" https://api.example.com/v1',
             f"Authorization: Basic {basic}",
             f"headers = {{'Authorization': 'token {token}'}}",
             f"proxy-authorization: {token}",
             f"DATABASE_TOKEN={token}",
             f"export STRIPE_SECRET={token}"]
    for line in lines:
        scrub = Scrubber()
        out = scrub.scrub(line)
        assert token not in out and basic not in out, out
        assert sum(scrub.counts.values()) == 1, (line, scrub.counts)


def test_names_and_references_beside_secret_words_are_not_secrets():
    for code in ['authorization = request.headers.get("Authorization")',
                 "token = settings_api_key_v2", "MY_API_KEY=MY_TOKEN_NAME_HERE_V2",
                 'password = os.environ["DB_PASSWORD"]', "Authorization: Bearer $API_TOKEN",
                 "x = APBaseHandler1234 + 1", "if token == expected_token_value:",
                 "headers['Authorization'] = f'Bearer {token}'"]:
        scrub = Scrubber()
        assert scrub.scrub(code) == code, code


def test_texts_remembered_as_clean_scrub_the_same_in_every_record(tmp_path, monkeypatch):
    """A text no rule changed is remembered and not scanned again: over the same real logs (secrets
    planted), a pass that remembers nothing, a pass that learns, and a pass that has learnt give the
    same output and counts."""
    from factory.ingest import scrub as scrub_module

    folder, planted = _plant(tmp_path, 120)
    records = [_strings(json.loads(line)) for path in sorted(folder.glob("*.jsonl"))
               for line in path.read_text().splitlines()]

    def one_pass() -> tuple[list[list[str]], dict]:
        scrub, outs = Scrubber(), []
        for texts in records:
            scrub.begin_record(texts)
            outs.append([scrub.scrub(t) for t in texts])
        return outs, dict(scrub.counts)

    scrub_module._CLEAN.clear()
    with monkeypatch.context() as m:
        m.setattr(scrub_module, "_remember_clean", lambda text: None)
        scanned = one_pass()  # every text scanned by every rule
    assert not scrub_module._CLEAN
    monkeypatch.setattr(scrub_module, "_clean_chars", [0])
    assert one_pass() == scanned  # learning
    assert len(scrub_module._CLEAN) > 100
    assert not any(value in text for _, value, _ in planted for text in scrub_module._CLEAN)
    assert one_pass() == scanned  # learnt
    # a remembered text still gets the home user names of the record it is in
    scrub = Scrubber()
    scrub.begin_record([])
    assert scrub.scrub("owner mkowalski staff") == "owner mkowalski staff"  # now remembered as clean
    scrub.begin_record(["cd /home/mkowalski/api"])
    assert scrub.scrub("owner mkowalski staff") == "owner <HOME_USER_1> staff"
