"""Deployable artifacts from an adapter: a merged 16-bit model, GGUF files through llama.cpp, and an
Ollama Modelfile whose TEMPLATE renders tools, tool calls and tool results the way the family was trained.
"""

from __future__ import annotations

import json
from pathlib import Path

from factory.errors import FactoryError, InputError
from factory.store.jsonl import atomic_write, write_json

MERGE_DTYPES = ("bfloat16", "float16", "float32")


def _config(model_dir: Path) -> dict:
    path = model_dir / "config.json"
    if not path.is_file():
        raise FactoryError(f"{model_dir}: no config.json; pass a local model directory (download it first)")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(path, None, f"cannot read it: {exc.strerror}", "check the path and its permissions") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(path, None, f"not a JSON model config ({exc})", "pass a Hugging Face model directory") from None
    if not isinstance(config, dict):
        raise InputError(path, None, "expected a JSON object", "pass a Hugging Face model directory")
    return config


def quantization_of(model_dir: str | Path) -> str:
    """'' for a full-precision checkpoint, else a short description of how it is quantised."""
    q = _config(Path(model_dir)).get("quantization_config") or {}
    if q.get("load_in_4bit") or q.get("bits") == 4 or q.get("_load_in_4bit"):
        return f"4-bit ({q.get('quant_method', 'bitsandbytes')})"
    if q.get("load_in_8bit") or q.get("bits") == 8:
        return f"8-bit ({q.get('quant_method', 'bitsandbytes')})"
    return ""


def merge_adapter(base: str | Path, adapter: str | Path, out: str | Path, dtype: str = "bfloat16") -> Path:
    """Fold the LoRA weights into a 16-bit (or 32-bit) copy of the base and save it with the tokenizer."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base, adapter, out = Path(base), Path(adapter), Path(out)
    if dtype not in MERGE_DTYPES:
        raise FactoryError(f"--dtype {dtype!r}: use one of {', '.join(MERGE_DTYPES)}")
    quant = quantization_of(base)
    if quant:
        raise FactoryError(
            f"{base} is stored {quant}. Merging LoRA into quantised weights would round the update away "
            "(and PEFT cannot write the result back as a clean checkpoint). Pass --base the original "
            "16-bit model the adapter was trained on; QLoRA adapters merge into it too."
        )
    if not (adapter / "adapter_config.json").is_file():
        raise FactoryError(f"{adapter}: no adapter_config.json; pass the run's lora/ directory")
    model = AutoModelForCausalLM.from_pretrained(base, dtype=getattr(torch, dtype))
    merged = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    merged.save_pretrained(out)
    tokenizer_src = adapter if (adapter / "tokenizer_config.json").is_file() else base
    AutoTokenizer.from_pretrained(tokenizer_src).save_pretrained(out)
    write_json(out / "merge_info.json", {"base": str(base), "adapter": str(adapter), "dtype": dtype})
    return out


# -- GGUF --------------------------------------------------------------------------------------------


def hf_chat_template(model_dir: str | Path) -> str:
    """The chat template a Hugging Face model directory renders with ('' when it has none)."""
    model_dir = Path(model_dir)
    jinja = model_dir / "chat_template.jinja"
    if jinja.is_file():
        return jinja.read_text(encoding="utf-8")
    cfg = model_dir / "tokenizer_config.json"
    try:
        template = json.loads(cfg.read_text(encoding="utf-8")).get("chat_template", "") if cfg.is_file() else ""
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return ""
    return template if isinstance(template, str) else ""


def to_gguf(model_dir: str | Path, out_dir: str | Path, quants: str | list[str] = "Q4_K_M",
            llama_cpp: str | None = None) -> list[Path]:
    """Convert a merged model to GGUF (f16) with llama.cpp's converter and quantise it (``Q8_0``,
    ``Q4_K_M``, ``Q5_K_M``, ...; ``f16`` keeps the f16 file only). The GGUF must carry the chat template
    the model was trained with, word for word; ``package_report.json`` records the files, their sizes
    and that check."""
    from factory.training.gguf import convert, metadata, quantize

    model_dir, out_dir = Path(model_dir), Path(out_dir)
    wanted = [q.strip() for q in ([quants] if isinstance(quants, str) else quants) for q in q.split(",") if q.strip()]
    _config(model_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    f16 = convert(model_dir, out_dir / f"{model_dir.name}-f16.gguf", llama_cpp)
    template = hf_chat_template(model_dir)
    carried = str(metadata(f16).get("tokenizer.chat_template", ""))
    if template and carried != template:
        raise FactoryError(f"{f16}: the chat template in the GGUF differs from {model_dir}'s; a model served with it "
                           "would see prompts it was not trained on")
    files = [f16] + [quantize(f16, out_dir / f"{model_dir.name}-{q.upper()}.gguf", q)
                     for q in wanted if q.lower() != "f16"]
    write_json(out_dir / "package_report.json", {
        "model": str(model_dir), "family": detect_family(model_dir),
        "chat_template": "the model's, word for word" if template else "none in the model directory",
        "files": {p.name: p.stat().st_size for p in files}})
    return files


# -- Ollama Modelfile --------------------------------------------------------------------------------

# Each family's TEMPLATE (Ollama Go templates) renders .System, .Tools, assistant .ToolCalls and tool
# results in the format the model was trained on; the stops end a turn.
_QWEN = """{{- if or .System .Tools }}<|im_start|>system
{{ if .System }}{{ .System }}{{ end }}
{{- if .Tools }}

# Tools

You may call one or more functions to assist with the user query.

You are provided with function signatures within <tools></tools> XML tags:
<tools>
{{- range .Tools }}
{"type": "function", "function": {{ .Function }}}
{{- end }}
</tools>

For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:
<tool_call>
{"name": <function-name>, "arguments": <args-json-object>}
</tool_call>
{{- end }}<|im_end|>
{{ end }}
{{- range $i, $_ := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 -}}
{{- if eq .Role "user" }}<|im_start|>user
{{ .Content }}<|im_end|>
{{ else if eq .Role "assistant" }}<|im_start|>assistant
{{ if .Content }}{{ .Content }}
{{- else if .ToolCalls }}{{ range .ToolCalls }}<tool_call>
{"name": "{{ .Function.Name }}", "arguments": {{ .Function.Arguments }}}
</tool_call>{{ end }}
{{- end }}{{ if not $last }}<|im_end|>
{{ end }}
{{- else if eq .Role "tool" }}<|im_start|>user
<tool_response>
{{ .Content }}
</tool_response><|im_end|>
{{ end }}
{{- if and (ne .Role "assistant") $last }}<|im_start|>assistant
{{ end }}
{{- end }}"""

_LLAMA3 = """<|begin_of_text|>
{{- if or .System .Tools }}<|start_header_id|>system<|end_header_id|>

{{ if .System }}{{ .System }}{{ end }}
{{- if .Tools }}
Environment: ipython
You have access to the following functions. To call a function, respond with JSON of the form {"name": function name, "parameters": dictionary of argument name and its value}.
{{ range .Tools }}{{ . }}
{{ end }}{{- end }}<|eot_id|>
{{- end }}
{{- range $i, $_ := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 }}
{{- if eq .Role "user" }}<|start_header_id|>user<|end_header_id|>

{{ .Content }}<|eot_id|>
{{- else if eq .Role "assistant" }}<|start_header_id|>assistant<|end_header_id|>

{{ if .ToolCalls }}{{ range .ToolCalls }}{"name": "{{ .Function.Name }}", "parameters": {{ .Function.Arguments }}}{{ end }}
{{- else }}{{ .Content }}{{ end }}{{ if not $last }}<|eot_id|>{{ end }}
{{- else if eq .Role "tool" }}<|start_header_id|>ipython<|end_header_id|>

{{ .Content }}<|eot_id|>
{{- end }}
{{- if and (ne .Role "assistant") $last }}<|start_header_id|>assistant<|end_header_id|>

{{ end }}
{{- end }}"""

_MISTRAL = """{{- range $i, $_ := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 }}
{{- if eq .Role "user" }}
{{- if and $.Tools $last }}[AVAILABLE_TOOLS] {{ $.Tools }}[/AVAILABLE_TOOLS]
{{- end }}[INST] {{ if and $.System $last }}{{ $.System }}

{{ end }}{{ .Content }}[/INST]
{{- else if eq .Role "assistant" }}
{{- if .Content }} {{ .Content }}{{ if not $last }}</s>{{ end }}
{{- else if .ToolCalls }}[TOOL_CALLS] [
{{- range .ToolCalls }}{"name": "{{ .Function.Name }}", "arguments": {{ .Function.Arguments }}}
{{- end }}]</s>
{{- end }}
{{- else if eq .Role "tool" }}[TOOL_RESULTS] {"content": {{ .Content }}}[/TOOL_RESULTS]
{{- end }}
{{- end }}"""

# DeepSeek-Coder has no native tool format: tools are offered in the system turn and calls/results use
# the same <tool_call>/<tool_response> wrappers the factory's Qwen-format data teaches.
_DEEPSEEK = """{{- if or .System .Tools }}{{ if .System }}{{ .System }}
{{ end }}
{{- if .Tools }}You may call functions. Available functions:
{{ range .Tools }}{"type": "function", "function": {{ .Function }}}
{{ end }}Call a function with <tool_call>{"name": <function-name>, "arguments": <args-json-object>}</tool_call>
{{ end }}
{{ end }}
{{- range $i, $_ := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 }}
{{- if eq .Role "user" }}### Instruction:
{{ .Content }}
{{ else if eq .Role "tool" }}### Instruction:
<tool_response>
{{ .Content }}
</tool_response>
{{ else if eq .Role "assistant" }}### Response:
{{ if .ToolCalls }}{{ range .ToolCalls }}<tool_call>{"name": "{{ .Function.Name }}", "arguments": {{ .Function.Arguments }}}</tool_call>{{ end }}
{{- else }}{{ .Content }}{{ end }}
<|EOT|>
{{ end }}
{{- if and (ne .Role "assistant") $last }}### Response:
{{ end }}
{{- end }}"""

FAMILIES: dict[str, tuple[str, list[str]]] = {
    "qwen": (_QWEN, ["<|im_start|>", "<|im_end|>", "<|endoftext|>"]),
    "llama3": (_LLAMA3, ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]),
    "mistral": (_MISTRAL, ["[INST]", "[/INST]", "</s>"]),
    "deepseek": (_DEEPSEEK, ["<|EOT|>", "### Instruction:"]),
}


def detect_family(model_dir: str | Path) -> str:
    """The chat family of a model directory, from its config and tokenizer."""
    model_dir = Path(model_dir)
    config = _config(model_dir)
    kind = str(config.get("model_type", "")).lower()
    tok_cfg = model_dir / "tokenizer_config.json"
    try:
        tok_text = tok_cfg.read_text(encoding="utf-8") if tok_cfg.is_file() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(tok_cfg, None, f"cannot read it as text ({exc})", "pass a Hugging Face model directory") from None
    if kind.startswith("qwen") or "<|im_start|>" in tok_text:
        return "qwen"
    if kind.startswith(("mistral", "mixtral")):
        return "mistral"
    if "deepseek" in kind or "<|EOT|>" in tok_text or "begin▁of▁sentence" in tok_text:
        return "deepseek"
    if kind == "llama" and "<|eot_id|>" in tok_text:
        return "llama3"
    raise FactoryError(
        f"{model_dir}: cannot tell the chat family (model_type {kind!r}); "
        f"pass --family {' | '.join(FAMILIES)}"
    )


# How each family's chat template marks a turn: what tells which family a GGUF's template is.
TEMPLATE_MARKS = {"qwen": "<|im_start|>", "llama3": "<|start_header_id|>", "mistral": "[INST]",
                  "deepseek": "### Instruction"}


def check_gguf_family(path: str | Path, family: str) -> None:
    """The GGUF a Modelfile names exists and carries a chat template of ``family`` (the Modelfile's TEMPLATE
    renders that family's format, so a model trained on another would get prompts it never saw)."""
    path = Path(path)
    if not path.is_file():
        raise FactoryError(f"{path}: no such GGUF file (FROM is read relative to the Modelfile); write it first with "
                           "factory package")
    from factory.training.gguf import metadata

    template = str(metadata(path).get("tokenizer.chat_template") or "")
    if not template:
        raise FactoryError(f"{path} carries no chat template; convert it from a model directory that has one")
    found = [f for f, mark in TEMPLATE_MARKS.items() if mark in template]
    if found and family not in found:
        raise FactoryError(f"{path} carries a {found[0]} chat template, but the Modelfile would render {family}; "
                           f"pass --family {found[0]}")


def write_modelfile(
    out: str | Path, source: str, family: str, system: str = "", temperature: float = 0.2, num_ctx: int = 4096
) -> Path:
    """An Ollama Modelfile: FROM the GGUF (or model dir), the family's TEMPLATE and its stop parameters."""
    if family not in FAMILIES:
        raise FactoryError(f"unknown family {family!r}: use one of {', '.join(FAMILIES)}")
    template, stops = FAMILIES[family]
    lines = [f"FROM {source}", "", f'TEMPLATE """{template}"""', ""]
    if system:
        lines += [f'SYSTEM """{system}"""', ""]
    lines += [f'PARAMETER stop "{s}"' for s in stops]
    lines += [f"PARAMETER temperature {temperature}", f"PARAMETER num_ctx {num_ctx}", ""]
    out = Path(out)
    with atomic_write(out, "w") as fh:
        fh.write("\n".join(lines))
    return out
