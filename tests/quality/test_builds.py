"""Generated code built with the real toolchains: gofmt and go vet, rustc, tsc (each test runs where
the toolchain is installed; .ci/run installs all three)."""

from __future__ import annotations

import shutil

import pytest

from factory.quality.builds import build_check
from factory.quality.codecheck import CodeBlock

GOOD_GO = 'package shop\n\nimport "fmt"\n\n// Label names a cart.\nfunc Label(n int) string {\n\treturn fmt.Sprintf("cart %d", n)\n}\n'


def _check(*blocks: tuple[str, str, str]) -> dict[int, list[str]]:
    report = build_check([(i, CodeBlock(lang, code, where)) for i, (lang, code, where) in enumerate(blocks)])
    return report.problems


@pytest.mark.skipif(not (shutil.which("gofmt") and shutil.which("go")), reason="Go toolchain not installed")
def test_go_parse_layout_and_vet() -> None:
    late_import = 'package shop\n\ntype A struct{}\n\nimport "fmt"\n'
    spaces = GOOD_GO.replace("\treturn", "    return")
    bad_verb = GOOD_GO.replace('"cart %d", n', '"cart %s", n')
    problems = _check(("go", GOOD_GO, "a"), ("go", late_import, "b"), ("go", spaces, "c"), ("go", bad_verb, "d"),
                      ("go", GOOD_GO.replace("package shop", "package shop_test"), "x create_new_file.contents a_test.go"))
    assert 0 not in problems and 4 not in problems
    assert problems[1] == ["go does not parse: expected declaration, found 'import' (line 5)"]
    assert problems[2] == ["go is not gofmt-formatted (gofmt -l lists it)"]
    assert problems[3][0].startswith("go vet: ") and "%s" in problems[3][0]


@pytest.mark.skipif(not shutil.which("rustc"), reason="rustc not installed")
def test_rust_blocks_type_check_as_modules_of_one_crate() -> None:
    ok = "pub struct Cart {\n    pub items: Vec<u32>,\n}\n\nimpl Cart {\n    pub fn total(&self) -> u32 {\n        self.items.iter().sum()\n    }\n}\n"
    wrong = "pub fn total(items: &[u32]) -> u32 {\n    items.len()\n}\n"
    outside = "use serde::Serialize;\n"  # an outside crate: not judged here
    problems = _check(("rust", ok, "a"), ("rust", ok, "b"), ("rust", wrong, "c"), ("rust", outside, "d"))
    assert list(problems) == [2] and "mismatched types" in problems[2][0]


@pytest.mark.skipif(not shutil.which("tsc"), reason="tsc not installed")
def test_typescript_blocks_type_check_each_as_its_own_module() -> None:
    ok = "function total(xs: number[]): number {\n  return xs.reduce((a, b) => a + b, 0);\n}\n"
    wrong = "export function label(n: number): string {\n  return n;\n}\n"
    problems = _check(("typescript", ok, "a"), ("typescript", ok, "b"), ("typescript", wrong, "c"))
    assert list(problems) == [2] and "TS2322" in problems[2][0]
