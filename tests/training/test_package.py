"""Ollama Modelfiles per model family, family detection, and GGUF conversion's clear failure."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from factory.cli.training_commands import modelfile_command, package_command
from factory.errors import FactoryError
from factory.training.package import FAMILIES, detect_family, to_gguf, write_modelfile


def _model_dir(tmp_path, model_type, tokenizer_config=None):
    d = tmp_path / model_type
    d.mkdir()
    (d / "config.json").write_text(json.dumps({"model_type": model_type}))
    (d / "tokenizer_config.json").write_text(json.dumps(tokenizer_config or {}))
    return d


@pytest.mark.parametrize("family", list(FAMILIES))
def test_modelfile_template_renders_tools_calls_results_and_stops(tmp_path, family):
    path = write_modelfile(tmp_path / "Modelfile", "./model-Q4_K_M.gguf", family, system="Be brief.")
    text = path.read_text()
    assert text.startswith("FROM ./model-Q4_K_M.gguf\n")
    template = text.split('TEMPLATE """', 1)[1].split('"""', 1)[0]
    assert ".Tools" in template and ".ToolCalls" in template and '"tool"' in template
    assert ".Function.Name" in template and ".Function.Arguments" in template
    assert template.count("{{") == template.count("}}")
    for stop in FAMILIES[family][1]:
        assert f'PARAMETER stop "{stop}"' in text
    assert 'SYSTEM """Be brief."""' in text


def test_qwen_modelfile_wraps_calls_and_results_like_qwen_training_data(tmp_path):
    text = write_modelfile(tmp_path / "Modelfile", "m.gguf", "qwen").read_text()
    assert '<tool_call>\n{"name": "{{ .Function.Name }}", "arguments": {{ .Function.Arguments }}}' in text
    assert "<tool_response>\n{{ .Content }}\n</tool_response>" in text


def test_family_is_detected_from_the_model_directory(tmp_path):
    assert detect_family(_model_dir(tmp_path, "qwen2")) == "qwen"
    assert detect_family(_model_dir(tmp_path, "mistral")) == "mistral"
    llama3 = _model_dir(tmp_path, "llama", {"eos_token": "<|eot_id|>"})
    assert detect_family(llama3) == "llama3"
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "config.json").write_text(json.dumps({"model_type": "llama"}))
    (tmp_path / "ds" / "tokenizer_config.json").write_text(json.dumps({"eos_token": "<|EOT|>"}))
    assert detect_family(tmp_path / "ds") == "deepseek"
    with pytest.raises(FactoryError, match="--family"):
        detect_family(_model_dir(tmp_path, "gpt2"))


def test_gguf_without_llama_cpp_says_how_to_get_it_from_the_package_index(tmp_path, monkeypatch):
    monkeypatch.delenv("LLAMA_CPP_DIR", raising=False)
    monkeypatch.setenv("FACTORY_CACHE_DIR", str(tmp_path / "empty-cache"))
    with pytest.raises(FactoryError) as err:
        to_gguf(_model_dir(tmp_path, "qwen2"), tmp_path / "out")
    assert "factory setup llama" in str(err.value) and "package index" in str(err.value)
    assert "github" not in str(err.value) and "git clone" not in str(err.value)
    with pytest.raises(FactoryError, match=r"not found in .*nowhere"):
        to_gguf(_model_dir(tmp_path, "llama"), tmp_path / "out", llama_cpp=str(tmp_path / "nowhere"))


def test_modelfile_and_package_commands(tmp_path, monkeypatch):
    monkeypatch.delenv("LLAMA_CPP_DIR", raising=False)
    monkeypatch.setenv("FACTORY_CACHE_DIR", str(tmp_path / "empty-cache"))
    model = _model_dir(tmp_path, "qwen2")
    runner = CliRunner()
    result = runner.invoke(
        modelfile_command, ["--from", "merged/", "--model", str(model), "--out", str(tmp_path / "Modelfile")]
    )
    assert result.exit_code == 0, result.output
    assert 'PARAMETER stop "<|im_end|>"' in (tmp_path / "Modelfile").read_text()
    result = runner.invoke(modelfile_command, ["--from", "x.gguf"])
    assert result.exit_code == 2 and "--family" in result.output
    result = runner.invoke(modelfile_command, ["--from", "missing.gguf", "--family", "qwen", "--out",
                                               str(tmp_path / "Modelfile")])
    assert result.exit_code == 1 and "no such GGUF file" in str(result.exception)
    result = runner.invoke(package_command, ["--model", str(model), "--out", str(tmp_path / "pkg")])
    assert result.exit_code == 1 and "llama.cpp" in str(result.exception)
    result = runner.invoke(
        package_command, ["--model", str(model), "--out", str(tmp_path / "pkg"), "--no-gguf"]
    )
    assert result.exit_code == 0, result.output
    assert f"FROM {model.resolve()}" in (tmp_path / "pkg" / "Modelfile").read_text()


# Renders a Modelfile TEMPLATE with Go's text/template (what Ollama uses) on Ollama-shaped data:
# .System, .Tools (each prints as its JSON), .Messages with .ToolCalls whose .Function.Arguments print
# as JSON. Runs where a Go toolchain is installed.
_GO_RENDERER = r"""
package main

import (
	"encoding/json"
	"os"
	"text/template"
)

type Args map[string]any

func (a Args) String() string { b, _ := json.Marshal(map[string]any(a)); return string(b) }

type Fn struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Parameters  any    `json:"parameters,omitempty"`
}

func (f Fn) String() string { b, _ := json.Marshal(f); return string(b) }

type Tool struct {
	Type     string `json:"type"`
	Function Fn     `json:"function"`
}

func (t Tool) String() string { b, _ := json.Marshal(t); return string(b) }

type Tools []Tool

func (t Tools) String() string { b, _ := json.Marshal([]Tool(t)); return string(b) }

type CallFn struct {
	Name      string `json:"name"`
	Arguments Args   `json:"arguments"`
}
type Call struct {
	Function CallFn `json:"function"`
}
type Msg struct {
	Role      string `json:"role"`
	Content   string `json:"content"`
	ToolCalls []Call `json:"tool_calls"`
}
type Data struct {
	System   string `json:"system"`
	Tools    Tools  `json:"tools"`
	Messages []Msg  `json:"messages"`
}

func main() {
	text, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	var d Data
	if err := json.NewDecoder(os.Stdin).Decode(&d); err != nil {
		panic(err)
	}
	t := template.Must(template.New("modelfile").Parse(string(text)))
	if err := t.Execute(os.Stdout, d); err != nil {
		os.Stderr.WriteString(err.Error())
		os.Exit(1)
	}
}
"""


@pytest.fixture(scope="module")
def go_renderer(tmp_path_factory):
    """The renderer, compiled once."""
    import shutil
    import subprocess

    if shutil.which("go") is None:
        pytest.skip("needs a Go toolchain to run text/template")
    root = tmp_path_factory.mktemp("go")
    (root / "render.go").write_text(_GO_RENDERER)
    env = {**os.environ, "GO111MODULE": "off"}
    proc = subprocess.run(
        ["go", "build", "-o", str(root / "render"), str(root / "render.go")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return root / "render"


def _render_with_go(renderer, tmp_path, family, data):
    import subprocess

    text = write_modelfile(tmp_path / "Modelfile", "m.gguf", family).read_text()
    (tmp_path / "template.txt").write_text(text.split('TEMPLATE """', 1)[1].split('"""', 1)[0])
    proc = subprocess.run(
        [str(renderer), str(tmp_path / "template.txt")],
        input=json.dumps(data),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


_CONVERSATION = {
    "system": "You are a coding assistant.",
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "read_file",
                "description": "Read a file.",
                # keys sorted: Go prints map keys in order
                "parameters": {
                    "properties": {"filepath": {"type": "string"}},
                    "required": ["filepath"],
                    "type": "object",
                },
            },
        }
    ],
    "messages": [
        {"role": "user", "content": "Show me src/app.py."},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"function": {"name": "read_file", "arguments": {"filepath": "src/app.py"}}}],
        },
        {"role": "tool", "content": "print('hi')"},
    ],
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_modelfile_template_renders_a_tool_conversation_in_go(go_renderer, tmp_path, family):
    out = _render_with_go(go_renderer, tmp_path, family, _CONVERSATION)
    assert "read_file" in out and "src/app.py" in out and "print('hi')" in out
    assert '"filepath":"src/app.py"' in out.replace(" ", "")


def test_qwen_modelfile_renders_what_the_qwen_chat_template_trains_on(go_renderer, tmp_path):
    from transformers.utils.chat_template_utils import render_jinja_template

    from factory.training.tiny import qwen2_5_chat_template

    out = _render_with_go(go_renderer, tmp_path, "qwen", _CONVERSATION)
    messages = [{"role": "system", "content": _CONVERSATION["system"]}, *_CONVERSATION["messages"]]
    rendered, _ = render_jinja_template(
        [messages],
        tools=_CONVERSATION["tools"],
        chat_template=qwen2_5_chat_template(),
        add_generation_prompt=True,
    )
    # Ollama prints JSON compactly where HF's tojson puts spaces; the text around it must be identical.
    assert out.replace(" ", "") == rendered[0].replace(" ", "")
