"""CLI commands for the training stages: ``train``, ``eval``, ``merge-adapter``, ``package``, ``modelfile``.

Options of ``train`` are generated from :class:`factory.training.config.TrainConfig` (its field help is
the CLI help). torch, transformers, peft and trl are imported inside the command bodies only, so
``factory --help`` never pays for them.
"""

from __future__ import annotations

import dataclasses
import os
import typing

import click

from factory.cli.options import examples
from factory.training.config import TrainConfig, load_yaml_config

_HINTS = typing.get_type_hints(TrainConfig)


def _offline_defaults() -> None:
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def _train_options(func):
    """One click option per TrainConfig field; a value given on the line beats the YAML file."""
    for f in reversed(dataclasses.fields(TrainConfig)):
        flag = "--" + f.name.replace("_", "-")
        help_text = f.metadata.get("help", "")
        hint = _HINTS[f.name]
        if hint is bool:
            decl = f"{flag}/--no-{flag[2:]}"
            func = click.option(decl, f.name, default=f.default, show_default=True, help=help_text)(func)
        elif f.name == "data":
            func = click.option(flag, f.name, multiple=True, help=help_text + " Repeatable.")(func)
        else:
            kind = (
                click.Choice(f.metadata["choices"])
                if "choices" in f.metadata
                else (
                    {int: int, float: float}.get(
                        typing.get_args(hint)[0] if typing.get_args(hint) else hint, str
                    )
                )
            )
            default = None if f.default is None else f.default
            func = click.option(
                flag,
                f.name,
                type=kind,
                default=default,
                show_default=default not in (None, ""),
                help=help_text,
            )(func)
    return func


def _config_from(ctx: click.Context, config_file: str | None, values: dict) -> TrainConfig:
    merged = load_yaml_config(config_file) if config_file else {}
    for name, value in values.items():
        from_line = ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE
        if from_line or name not in merged:
            merged[name] = list(value) if name == "data" else value
    return TrainConfig(**merged)


@click.command("train")
@click.option(
    "--config-file", type=click.Path(exists=True, dir_okay=False), help="YAML file of the options below."
)
@_train_options
@click.pass_context
@examples("factory train --stage sanity --model Qwen/Qwen2.5-Coder-1.5B-Instruct --data data/merged",
          "factory train --stage dry-run --model Qwen/Qwen2.5-Coder-1.5B-Instruct --data data",
          "factory train --config-file my_run.yaml --stage full",
          "factory train --method kto --adapter outputs/RUN/lora --model Qwen/Qwen2.5-Coder-1.5B-Instruct --data data/export/kto")
def train_command(ctx: click.Context, config_file: str | None, **values) -> None:
    """Train a LoRA adapter: --stage sanity | dry-run | mini | full (defaults from the training
    checklist), --curriculum for staged learning rates, --method kto | dpo to refine an adapter.

    The adapter is saved to OUTPUT_DIR/RUN_NAME/lora with train_summary.json beside it. Works unchanged
    under `accelerate launch -m factory.cli.main train ...`.
    """
    _offline_defaults()
    cfg = _config_from(ctx, config_file, values)
    if not cfg.data:
        raise click.UsageError("--data is required (JSONL files or a directory of them)")
    if cfg.stage == "sanity":
        from factory.training.sft import sanity_check

        summary = sanity_check(cfg, log=click.echo)
        if not summary["ok"]:
            ctx.exit(1)
        return
    if cfg.method in ("kto", "dpo"):
        from factory.training.preference import train_preference as run
    else:
        from factory.training.sft import train_sft as run
    result = run(cfg, log=click.echo)
    click.echo(
        f"loss {result.start_loss:.4f} -> {result.end_loss:.4f} over {result.steps} steps "
        f"({result.records} records, {result.seconds:.1f} s on {result.device}); adapter: {result.adapter_dir}"
    )


@click.command("eval")
@click.option("--model", "base", required=True,
              help="Base model directory (or hub name), a .gguf file, or with --base-url the served model's name.")
@click.option(
    "--adapter", "adapters", multiple=True, help="LoRA adapter directory; repeatable. Scored beside the base."
)
@click.option(
    "--data",
    multiple=True,
    required=True,
    help="eval.jsonl of factory records, or BFCL_v*_*.jsonl (its possible_answer file beside it; "
         "multi-turn ones too).",
)
@click.option(
    "--out", default="outputs/eval", show_default=True, help="Directory for eval_log.md and the CSVs."
)
@click.option("--base-url", default=None, help="An OpenAI-compatible server (factory serve, vLLM, llama.cpp's "
                                               "server): --model names the model it serves.")
@click.option("--reference", default=None, help="A Hugging Face model directory scored beside --model (a GGUF's "
                                                "source): the difference per metric, within 1 point as the bar.")
@click.option("--ctx", "n_ctx", type=int, default=4096, show_default=True,
              help="Context window of a .gguf run (an item that does not fit is scored as failed).")
@click.option("--limit", type=int, default=None, help="Score only the first N items.")
@click.option("--max-new-tokens", type=int, default=256, show_default=True)
@click.option(
    "--underscore-to-dot",
    is_flag=True,
    help="Expect a_b for a function named a.b, as the leaderboard does for models that cannot send dots.",
)
@examples("factory eval --model Qwen/Qwen2.5-Coder-1.5B-Instruct --adapter outputs/RUN/lora --data data/eval.jsonl",
          "factory eval --model BASE --adapter outputs/RUN/lora --data bfcl/BFCL_v4_simple_python.jsonl --limit 200",
          "factory eval --model BASE --data bfcl/BFCL_v4_multi_turn_base.jsonl",
          "factory eval --model merged-gguf/merged-Q8_0.gguf --reference merged/ --data data/eval.jsonl",
          "factory eval --base-url http://127.0.0.1:8080/v1 --model merged-Q8_0 --data data/eval.jsonl")
def eval_command(
    base: str,
    adapters: tuple[str, ...],
    data: tuple[str, ...],
    out: str,
    base_url: str | None,
    reference: str | None,
    n_ctx: int,
    limit: int | None,
    max_new_tokens: int,
    underscore_to_dot: bool,
) -> None:
    """Generate for each eval prompt and score it: tool-call JSON validity, correct tool, arguments by
    the Berkeley Function Calling Leaderboard's AST rules (and by one-to-one rules beside them),
    refusals and BFCL irrelevance (no decodable call), Python style (parses, ruff check, AST
    similarity); BFCL multi-turn files are played turn by turn against the leaderboard's simulated
    backends and checked by state. Per category and overall, with the training guide's bars."""
    _offline_defaults()
    from factory.training.evaluate import BARS, run_eval

    if adapters and (base_url or base.endswith(".gguf")):
        raise click.UsageError("--adapter applies to a Hugging Face model; merge it first (factory merge-adapter)")
    if reference and not (base_url or base.endswith(".gguf")):
        raise click.UsageError("--reference holds a .gguf file or a served model to its source; for adapters, "
                               "--adapter scores them beside the base")
    summaries = run_eval(base, list(adapters), list(data), out, limit, max_new_tokens, log=click.echo,
                         underscore_to_dot=underscore_to_dot, base_url=base_url, reference=reference, n_ctx=n_ctx)
    for label, table in summaries.items():
        overall = table.get("overall", {})
        cells = [
            f"{m} {overall[m]:.1%}{'' if overall[m] >= BARS[m] else ' (below bar)'}"
            for m in BARS
            if m in overall
        ]
        click.echo(f"{label}: " + ", ".join(cells))


@click.command("merge-adapter")
@click.option("--base", required=True, help="The 16-bit base model directory the adapter was trained on.")
@click.option("--adapter", required=True, help="The adapter directory (outputs/<run>/lora).")
@click.option("--out", required=True, help="Directory for the merged model.")
@click.option(
    "--dtype", type=click.Choice(["bfloat16", "float16", "float32"]), default="bfloat16", show_default=True
)
@examples("factory merge-adapter --base Qwen/Qwen2.5-Coder-1.5B-Instruct --adapter outputs/RUN/lora --out merged/")
def merge_adapter_command(base: str, adapter: str, out: str, dtype: str) -> None:
    """Merge a LoRA adapter into its base (merge_and_unload) and save a standalone model. A 4-bit base is refused."""
    from factory.training.package import merge_adapter

    click.echo(f"merged model: {merge_adapter(base, adapter, out, dtype)}")


@click.command("package")
@click.option("--model", required=True, help="A merged model directory (factory merge-adapter).")
@click.option("--out", default=None, help="Directory for the GGUF file(s) and the Modelfile [default: MODEL-gguf "
                                          "beside the model directory].")
@click.option("--gguf/--no-gguf", default=True, show_default=True, help="Convert to GGUF with llama.cpp.")
@click.option("--quant", default="Q4_K_M", show_default=True,
              help="Quantisations to write beside the f16 file, comma-separated (Q8_0, Q4_K_M, Q5_K_M, ...; f16 for none).")
@click.option("--llama-cpp", default=None, help="A llama.cpp checkout with convert_hf_to_gguf.py [default: "
                                                "$LLAMA_CPP_DIR, else what `factory setup llama` extracted].")
@click.option(
    "--family", default=None, help="Chat family for the Modelfile (default: detected from the model)."
)
@examples("factory package --model merged/ --gguf --quant Q4_K_M",
          "factory package --model merged/ --out dist/ --quant Q8_0,Q4_K_M,Q5_K_M")
def package_command(
    model: str, out: str | None, gguf: bool, quant: str, llama_cpp: str | None, family: str | None
) -> None:
    """Convert a merged model to GGUF with llama.cpp's converter, quantise it, check the GGUF carries the
    model's chat template, and write an Ollama Modelfile beside it."""
    from pathlib import Path

    from factory.training.package import detect_family, to_gguf, write_modelfile

    family = family or detect_family(model)
    if out is None:
        source_dir = Path(model).resolve()
        out = str(source_dir.with_name(source_dir.name + "-gguf"))
    files = to_gguf(model, out, quant, llama_cpp) if gguf else [Path(model).resolve()]
    source = files[-1]
    modelfile = write_modelfile(Path(out) / "Modelfile", f"./{source.name}" if gguf else str(source), family)
    for path in files:
        click.echo(f"{path}" + (f"  ({path.stat().st_size / 1e6:.1f} MB)" if path.is_file() else ""))
    click.echo(f"{modelfile}  (ollama create NAME -f {modelfile})")


@click.command("serve")
@click.argument("gguf_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8080, show_default=True)
@click.option("--ctx", "n_ctx", type=int, default=4096, show_default=True, help="Context window in tokens.")
@examples("factory serve merged-gguf/merged-Q4_K_M.gguf",
          "factory serve model.gguf --port 9000 --host 127.0.0.1")
def serve_command(gguf_file: str, host: str, port: int, n_ctx: int) -> None:
    """Serve a GGUF on an OpenAI-compatible endpoint (llama-cpp-python's server), rendering with the chat
    template the GGUF carries, tools included; `factory eval --base-url http://HOST:PORT/v1 --model NAME`
    evaluates what it serves (NAME: the file's name without .gguf)."""
    from pathlib import Path

    from factory.training.gguf import serve

    click.echo(f"serving {gguf_file} as '{Path(gguf_file).stem}' on http://{host}:{port}/v1", err=True)
    serve(gguf_file, host, port, n_ctx)


@click.command("setup")
@click.argument("what", type=click.Choice(["llama"]))
@click.option("--force", is_flag=True, help="Build and extract again even if present.")
@examples("factory setup llama")
def setup_command(what: str, force: bool) -> None:
    """Install what a stage needs from the package index: `llama` builds llama-cpp-python (llama.cpp, its
    server and bindings; about 12 minutes on 2 cores) and extracts its GGUF converter for `factory package`."""
    from factory.training.gguf import setup_llama

    root = setup_llama(log=click.echo, force=force)
    click.echo(f"llama.cpp ready: converter in {root}")


@click.command("modelfile")
@click.option("--from", "source", required=True, help="The GGUF file (or model directory) Ollama loads.")
@click.option(
    "--family", default=None, help="qwen | llama3 | mistral | deepseek (default: detected from --model)."
)
@click.option("--model", default=None, help="Model directory to detect the family from.")
@click.option("--system", default="", help="A SYSTEM prompt to bake in.")
@click.option("--out", default="Modelfile", show_default=True)
@examples("factory modelfile --from merged-gguf/model-Q4_K_M.gguf --model merged/",
          "factory modelfile --from model.gguf --family qwen --system \"You are a careful coding assistant.\" --out Modelfile")
def modelfile_command(source: str, family: str | None, model: str | None, system: str, out: str) -> None:
    """Write an Ollama Modelfile whose TEMPLATE renders tools, tool calls and tool results for the family; a
    .gguf it names must exist and carry a chat template of that family."""
    from pathlib import Path

    from factory.training.package import check_gguf_family, detect_family, write_modelfile

    if not family and not model:
        raise click.UsageError("pass --family, or --model DIR to detect it")
    family = family or detect_family(model)
    if source.endswith(".gguf"):  # Ollama reads FROM relative to the Modelfile
        check_gguf_family(Path(out).parent / source if not Path(source).is_absolute() else Path(source), family)
    path = write_modelfile(out, source, family, system)
    click.echo(f"{path}  (ollama create NAME -f {path})")


COMMANDS = [train_command, eval_command, merge_adapter_command, package_command, serve_command, setup_command,
            modelfile_command]

