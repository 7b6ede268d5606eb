"""Ollama Modelfiles per model family, family detection, and GGUF conversion's clear failure."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from factory.plugins.training_commands import modelfile_command, package_command
from factory.training.package import FAMILIES, detect_family, to_gguf, write_modelfile

from factory.errors import FactoryError


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


def test_gguf_without_llama_cpp_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.delenv("LLAMA_CPP_DIR", raising=False)
    with pytest.raises(FactoryError) as err:
        to_gguf(_model_dir(tmp_path, "qwen2"), tmp_path / "out")
    assert "git clone https://github.com/ggml-org/llama.cpp" in str(err.value)
    assert "--llama-cpp" in str(err.value)
    with pytest.raises(FactoryError, match="looked for .*nowhere/convert_hf_to_gguf.py"):
        to_gguf(_model_dir(tmp_path, "llama"), tmp_path / "out", llama_cpp=str(tmp_path / "nowhere"))


def test_modelfile_and_package_commands(tmp_path, monkeypatch):
    monkeypatch.delenv("LLAMA_CPP_DIR", raising=False)
    model = _model_dir(tmp_path, "qwen2")
    runner = CliRunner()
    result = runner.invoke(
        modelfile_command, ["--from", "x.gguf", "--model", str(model), "--out", str(tmp_path / "Modelfile")]
    )
    assert result.exit_code == 0, result.output
    assert 'PARAMETER stop "<|im_end|>"' in (tmp_path / "Modelfile").read_text()
    result = runner.invoke(modelfile_command, ["--from", "x.gguf"])
    assert result.exit_code == 2 and "--family" in result.output
    result = runner.invoke(package_command, ["--model", str(model), "--out", str(tmp_path / "pkg")])
    assert result.exit_code == 1 and "llama.cpp" in str(result.exception)
    result = runner.invoke(
        package_command, ["--model", str(model), "--out", str(tmp_path / "pkg"), "--no-gguf"]
    )
    assert result.exit_code == 0, result.output
    assert f"FROM {model.resolve()}" in (tmp_path / "pkg" / "Modelfile").read_text()
