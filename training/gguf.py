"""llama.cpp for the factory: built from the package index, converting, quantising, running and serving
GGUF files the way the model was trained.

- ``setup_llama`` installs ``llama-cpp-python`` (which vendors llama.cpp whole) from PyPI's source
  distribution with a portable build, and extracts the distribution's converter (``convert_hf_to_gguf.py``
  with its ``conversion`` package and ``gguf-py``) into the factory's cache: nothing comes from outside
  the package index.
- ``convert`` writes an f16 GGUF with that converter; ``quantize`` makes Q8_0, Q4_K_M, Q5_K_M, ... through
  ``llama-quantize`` when one is on the PATH, else through the bindings' ``llama_model_quantize``.
- ``chat_handler`` renders conversations with the chat template the GGUF carries (the model's own),
  tools included, and first turns a tool call's JSON-text arguments back into an object, as the
  template expects (a training record's arguments are objects; the OpenAI wire format sends text):
  the in-process runner and ``serve`` both use it, so a served model sees the prompts the trained one did.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from factory.errors import FactoryError

LLAMA_CPP_PYTHON = "0.3.36"
CHAT_FORMAT = "factory-model-template"  # the name ``serve`` registers the handler under
QUANT_TYPES = ("Q8_0", "Q4_K_M", "Q5_K_M", "Q4_0", "Q5_0", "Q6_K", "Q3_K_M", "Q2_K")
SETUP_HINT = (f"run `factory setup llama` once: it builds llama-cpp-python {LLAMA_CPP_PYTHON} from the package "
              "index (about 12 minutes on 2 cores) and extracts its converter")


def cache_dir() -> Path:
    base = os.environ.get("FACTORY_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "factory")
    return Path(base) / f"llama.cpp-{LLAMA_CPP_PYTHON}"


def converter_ready() -> bool:
    """``factory setup llama`` has extracted the converter (completely)."""
    return (cache_dir() / ".complete").is_file()


def bindings_version() -> str | None:
    """The installed llama-cpp-python's version, or None (also when its library does not load)."""
    try:
        import llama_cpp
    except (ImportError, OSError, RuntimeError):
        return None
    return getattr(llama_cpp, "__version__", "?")


def setup_llama(log: Callable[[str], None] = print, force: bool = False) -> Path:
    """Install llama-cpp-python (with its server) from the package index and extract its converter;
    the directory that holds ``convert_hf_to_gguf.py``."""
    env = {**os.environ, "CMAKE_ARGS": os.environ.get("CMAKE_ARGS", "-DGGML_NATIVE=OFF")}
    installed = bindings_version()
    if force or installed != LLAMA_CPP_PYTHON or not _importable("sentencepiece", "gguf", "uvicorn", "fastapi"):
        if installed not in (None, LLAMA_CPP_PYTHON):
            log(f"replacing the installed llama-cpp-python {installed} with {LLAMA_CPP_PYTHON}")
        log(f"building llama-cpp-python {LLAMA_CPP_PYTHON} from the package index (CMAKE_ARGS={env['CMAKE_ARGS']})")
        again = ["--force-reinstall", "--no-cache-dir"] if force else []
        _pip(["install", *again, f"llama-cpp-python[server]=={LLAMA_CPP_PYTHON}", "gguf>=0.10", "sentencepiece"], env)
    target = cache_dir()
    if force or not (target / ".complete").is_file():
        with tempfile.TemporaryDirectory(prefix="factory-llama-") as tmp:
            log(f"extracting the converter of llama-cpp-python {LLAMA_CPP_PYTHON} into {target}")
            _pip(["download", "--no-deps", "--no-binary", "llama-cpp-python", f"llama-cpp-python=={LLAMA_CPP_PYTHON}",
                  "-d", tmp], env)
            sdist = next(Path(tmp).glob("llama_cpp_python-*.tar.gz"))
            vendor = f"llama_cpp_python-{LLAMA_CPP_PYTHON}/vendor/llama.cpp/"
            wanted = ("convert_hf_to_gguf.py", "conversion/", "gguf-py/", "LICENSE")
            partial = Path(tmp) / "tools"
            with tarfile.open(sdist) as tar:
                members = [m for m in tar.getmembers() if m.name.startswith(vendor)
                           and m.name[len(vendor):].startswith(wanted)]
                for m in members:
                    m.name = m.name[len(vendor):]
                tar.extractall(partial, members=members, filter="data")
            (partial / ".complete").write_text(LLAMA_CPP_PYTHON)  # written last: a cut extraction is redone
            target.parent.mkdir(parents=True, exist_ok=True)
            staged = Path(tempfile.mkdtemp(prefix=".llama-", dir=target.parent))
            shutil.move(str(partial), staged / "tools")
            shutil.rmtree(target, ignore_errors=True)
            os.replace(staged / "tools", target)
            shutil.rmtree(staged, ignore_errors=True)
    return target


def _importable(*modules: str) -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in modules)


def _pip(args: list[str], env: dict[str, str]) -> None:
    proc = subprocess.run([sys.executable, "-m", "pip", *args], env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        lines = (proc.stderr + proc.stdout).strip().splitlines()
        cause = [ln for ln in lines if "error" in ln.lower()][-6:]  # the compiler's or cmake's own words
        tail = "\n".join(dict.fromkeys([*cause, *lines[-10:]]))
        raise FactoryError(f"pip {' '.join(args[:2])} failed (exit {proc.returncode}):\n{tail}")


def find_converter(llama_cpp: str | Path | None = None) -> Path:
    """The directory with ``convert_hf_to_gguf.py``: --llama-cpp, $LLAMA_CPP_DIR, or ``factory setup llama``'s."""
    for root in (llama_cpp, os.environ.get("LLAMA_CPP_DIR")):
        if root and (Path(root) / "convert_hf_to_gguf.py").is_file():
            return Path(root)
    if converter_ready():
        return cache_dir()
    named = llama_cpp or os.environ.get("LLAMA_CPP_DIR")
    where = f" in {named}" if named else ""
    raise FactoryError(f"llama.cpp's converter (convert_hf_to_gguf.py) not found{where}: {SETUP_HINT}")


def convert(model_dir: str | Path, out: str | Path, llama_cpp: str | Path | None = None) -> Path:
    """An f16 GGUF of a Hugging Face model directory."""
    root = find_converter(llama_cpp)
    out = Path(out)
    paths = [str(root / "gguf-py"), str(root), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}  # the converter's own gguf-py first
    proc = subprocess.run([sys.executable, str(root / "convert_hf_to_gguf.py"), str(model_dir), "--outfile",
                           str(out), "--outtype", "f16"], env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not out.is_file():
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
        raise FactoryError(f"convert_hf_to_gguf.py failed on {model_dir} (exit {proc.returncode}):\n{tail}")
    return out


def quantize(src: str | Path, dst: str | Path, qtype: str) -> Path:
    """``src`` quantised to ``qtype`` (Q8_0, Q4_K_M, ...)."""
    qtype = qtype.upper()
    if qtype not in QUANT_TYPES:
        raise FactoryError(f"--quant {qtype}: use one of {', '.join(QUANT_TYPES)} (or f16 for no quantisation)")
    binary = shutil.which("llama-quantize")
    if binary:
        proc = subprocess.run([binary, str(src), str(dst), qtype], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise FactoryError(f"llama-quantize failed (exit {proc.returncode}): {proc.stderr.strip()[-400:]}")
        return Path(dst)
    try:
        import ctypes

        import llama_cpp
    except (ImportError, OSError, RuntimeError):
        raise FactoryError(f"quantising needs llama.cpp: {SETUP_HINT}") from None
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{qtype}")
    code = llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), ctypes.byref(params))
    if code != 0 or not Path(dst).is_file():
        raise FactoryError(f"quantising {src} to {qtype} failed (llama_model_quantize returned {code})")
    return Path(dst)


def metadata(path: str | Path) -> dict[str, Any]:
    """A GGUF file's key-value metadata (strings, numbers; arrays left out)."""
    try:
        from gguf import GGUFReader
    except ImportError:
        sys.path.insert(0, str(find_converter() / "gguf-py"))
        from gguf import GGUFReader

    reader = GGUFReader(str(path))
    out: dict[str, Any] = {}
    for name, field in reader.fields.items():
        if len(field.types) != 1:
            continue
        value = field.contents() if hasattr(field, "contents") else field.parts[field.data[0]]
        out[name] = value
    return out


# -- running it ---------------------------------------------------------------------------------------


def _object_arguments(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tool calls' arguments as objects, what chat templates (and the training records) hold; the OpenAI
    wire format sends them as JSON text, which a template's ``tojson`` would encode a second time."""
    out = []
    for m in messages:
        calls = m.get("tool_calls")
        if calls:
            fixed = []
            for c in calls:
                fn = dict(c.get("function") or {})
                if isinstance(fn.get("arguments"), str):
                    try:
                        fn["arguments"] = json.loads(fn["arguments"])
                    except ValueError:
                        pass
                fixed.append({**c, "function": fn})
            m = {**m, "tool_calls": fixed}
        out.append(m)
    return out


def formatter(llama: Any) -> Any:
    """llama-cpp-python's Jinja formatter with the chat template ``llama``'s GGUF carries."""
    from llama_cpp import llama_chat_format

    template = llama.metadata.get("tokenizer.chat_template")
    if not template:
        raise FactoryError("the GGUF carries no chat template (tokenizer.chat_template); convert the model "
                           "from a directory whose tokenizer_config.json has one")
    eos_id = llama.token_eos()
    return llama_chat_format.Jinja2ChatFormatter(
        template=template, eos_token=llama._model.token_get_text(eos_id),
        bos_token=llama._model.token_get_text(llama.token_bos()) if llama.token_bos() != -1 else "",
        stop_token_ids=[eos_id])


_CALL_BLOCK = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.DOTALL)


def parse_tool_calls(message: dict[str, Any]) -> dict[str, Any]:
    """A generated message whose text holds ``<tool_call>{...}</tool_call>`` blocks (the Hermes / Qwen
    format the factory trains) as an OpenAI message with ``tool_calls``, the way llama.cpp's own server
    and vLLM's parser return them; text that is not all well-formed calls is left as it is."""
    text = message.get("content") or ""
    blocks = _CALL_BLOCK.findall(text)
    if not blocks:
        return message
    calls = []
    for raw in blocks:
        try:
            obj = json.loads(raw)
        except ValueError:
            return message
        if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
            return message
        args = obj.get("arguments", {})
        if isinstance(args, str):  # a model that wrote the arguments as JSON text
            try:
                args = json.loads(args)
            except ValueError:
                pass
        calls.append({"id": f"call_{secrets.token_hex(8)}", "type": "function",  # unique across turns
                      "function": {"name": obj["name"], "arguments": json.dumps(args)}})
    rest = _CALL_BLOCK.sub("", text).strip()
    return {**message, "content": rest or None, "tool_calls": calls}


def chat_handler(llama: Any) -> Any:
    """A chat-completion handler for ``llama`` that renders with the chat template its GGUF carries,
    tool-call arguments as objects, and returns generated calls as ``tool_calls``."""
    inner = formatter(llama).to_chat_handler()

    def handle(**kwargs: Any) -> Any:
        kwargs["messages"] = _object_arguments(kwargs.get("messages") or [])
        kwargs["repeat_penalty"] = 1.0  # sampled as it was trained and evaluated (the server's default is 1.1)
        out = inner(**kwargs)
        if kwargs.get("stream") or not isinstance(out, dict) or kwargs.get("tool_choice") == "none":
            return out  # a stream is passed through as generated: its calls stay <tool_call> text
        for choice in out.get("choices") or []:
            msg = parse_tool_calls(choice.get("message") or {})
            if msg.get("tool_calls"):
                choice["message"] = msg
                if choice.get("finish_reason") != "length":
                    choice["finish_reason"] = "tool_calls"
        return out

    return handle


def register_chat_format() -> None:
    """Register :func:`chat_handler` as :data:`CHAT_FORMAT` (what ``serve`` asks the server for)."""
    from llama_cpp import llama_chat_format

    def handler(*, llama: Any, **kwargs: Any) -> Any:
        cached = getattr(llama, "_factory_handler", None)
        if cached is None:
            cached = chat_handler(llama)
            llama._factory_handler = cached
        return cached(llama=llama, **kwargs)

    llama_chat_format.LlamaChatCompletionHandlerRegistry().register_chat_completion_handler(
        CHAT_FORMAT, handler, overwrite=True)


def check_gguf(path: str | Path) -> Path:
    """``path`` if it is a GGUF file (by its magic bytes), else a clear error naming it."""
    path = Path(path)
    if not path.is_file():
        raise FactoryError(f"{path}: no such GGUF file" if not path.exists() else f"{path}: not a file")
    with path.open("rb") as fh:
        if fh.read(4) != b"GGUF":
            raise FactoryError(f"{path}: not a GGUF file (it does not start with the GGUF magic); pass what "
                               "factory package wrote")
    return path


def load(path: str | Path, n_ctx: int = 4096) -> Any:
    check_gguf(path)
    try:
        import llama_cpp
    except (ImportError, OSError, RuntimeError):
        raise FactoryError(f"running a GGUF needs llama.cpp: {SETUP_HINT}") from None
    register_chat_format()
    return llama_cpp.Llama(model_path=str(path), n_ctx=n_ctx, chat_format=CHAT_FORMAT, seed=0, verbose=False,
                           n_threads=max(1, (os.cpu_count() or 2)))


def reply_text(message: dict[str, Any]) -> str:
    """An OpenAI chat message as the text the evaluator decodes: its content, and any calls the server
    parsed out of it written back as the ``<tool_call>`` blocks they came from."""
    text = message.get("content") or ""
    for c in message.get("tool_calls") or []:
        fn = c.get("function") or {}
        args = fn.get("arguments")
        try:
            args = json.loads(args) if isinstance(args, str) else args
        except ValueError:
            pass
        text += "\n<tool_call>\n" + json.dumps({"name": fn.get("name"), "arguments": args}) + "\n</tool_call>"
    return text.strip()


def _wire(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages as the OpenAI wire format carries them: arguments as JSON text."""
    out = []
    for m in messages:
        if m.get("tool_calls"):
            m = {**m, "tool_calls": [{**c, "function": {**c["function"], "arguments": json.dumps(c["function"]["arguments"])
                                                          if not isinstance(c["function"]["arguments"], str)
                                                          else c["function"]["arguments"]}}
                                     for c in m["tool_calls"]]}
        out.append(m)
    return out


def _request(model: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]],
             max_new_tokens: int) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": _wire(messages), "temperature": 0.0, "top_k": 1,
                            "max_tokens": max_new_tokens, "seed": 0, "repeat_penalty": 1.0}
    if tools:
        body["tools"] = tools
    return body


def gguf_responder(path: str | Path, max_new_tokens: int = 256, n_ctx: int = 4096, log: Callable[[str], None] = print):
    """``respond(messages, tools) -> text`` from a GGUF run in this process (greedy): the request goes
    through the server's own request model and the same handler, so it gets what a served model gets.
    An item longer than the context window is answered with nothing (scored as failed) and counted."""
    from llama_cpp.server.types import CreateChatCompletionRequest

    llm = load(path, n_ctx)
    name = Path(path).stem

    def respond(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> str:
        body = CreateChatCompletionRequest(**_request(name, messages, tools, max_new_tokens))
        kwargs = body.model_dump(exclude={"n", "logit_bias_type", "user", "min_tokens"})  # as the server does
        try:
            out = llm.create_chat_completion(**kwargs)
        except ValueError as exc:
            if "context window" not in str(exc):
                raise
            log(f"an item does not fit the {n_ctx}-token context (raise --ctx): {exc}")
            return ""
        return reply_text(out["choices"][0]["message"])

    return respond


def http_responder(base_url: str, model: str, max_new_tokens: int = 256, api_key: str | None = None):
    """``respond(messages, tools) -> text`` from an OpenAI-compatible server (greedy)."""
    import httpx2 as httpx

    url = base_url.rstrip("/") + "/chat/completions"
    headers = {"Authorization": f"Bearer {api_key or os.environ.get('OPENAI_API_KEY') or 'none'}"}
    client = httpx.Client(timeout=600.0)

    def respond(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> str:
        try:
            resp = client.post(url, json=_request(model, messages, tools, max_new_tokens), headers=headers)
        except httpx.HTTPError as exc:
            raise FactoryError(f"{url}: {exc}") from None
        if resp.status_code == 400 and "context" in resp.text:
            return ""  # longer than the server's context window: scored as failed, as in process
        if resp.status_code != 200:
            raise FactoryError(f"{url} answered {resp.status_code}: {resp.text[:300]}")
        return reply_text(resp.json()["choices"][0]["message"])

    return respond


def serve(path: str | Path, host: str = "127.0.0.1", port: int = 8080, n_ctx: int = 4096) -> None:
    """llama-cpp-python's OpenAI-compatible server on ``path``, rendering with the GGUF's own chat template."""
    check_gguf(path)
    try:
        import uvicorn
        from llama_cpp.server.app import create_app
        from llama_cpp.server.settings import ModelSettings, ServerSettings
    except (ImportError, OSError, RuntimeError):
        raise FactoryError(f"serving needs llama-cpp-python's server: {SETUP_HINT}") from None
    register_chat_format()
    app = create_app(server_settings=ServerSettings(host=host, port=port),
                     model_settings=[ModelSettings(model=str(path), model_alias=Path(path).stem, chat_format=CHAT_FORMAT,
                                                   n_ctx=n_ctx, seed=0, verbose=False)])
    uvicorn.run(app, host=host, port=port, log_level="warning")
