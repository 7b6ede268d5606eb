"""``factory new-category NAME``: a plugin module + agent spec pair that generates valid records at once."""

from __future__ import annotations

import re
from pathlib import Path

from factory.errors import FactoryError

PLUGIN_TEMPLATE = '''"""The {name} category: a drop-in plugin. Edit the templates below, or the spec's body for LLMs."""

from pathlib import Path

from factory import hookimpl
from factory.registry import Category

SPEC = Path(__file__).with_suffix(".md")

TOPICS = ["pagination", "caching", "retries", "logging", "config loading", "input parsing",
          "error handling", "date handling", "file uploads", "rate limiting"]
LANGS = ["Python", "TypeScript", "Go", "Rust"]
ASKS = ["How should I approach {{topic}} in {{lang}}?",
        "What's a solid pattern for {{topic}} in a {{lang}} service?",
        "Can you sketch how you'd handle {{topic}} in {{lang}}?"]


class {cls}Generator:
    def generate(self, ctx, subcategory, count):
        rng = ctx.rng(subcategory)
        while True:
            topic, lang, ask = rng.choice(TOPICS), rng.choice(LANGS), rng.choice(ASKS)
            n = rng.randint(2, 9)
            user = ask.format(topic=topic, lang=lang) + f" We have about {{n}} call sites."
            answer = (f"For {{topic}} in {{lang}}, keep the policy in one place and call it from all "
                      f"{{n}} call sites; test the edge cases first, then refactor the callers.")
            yield ctx.example(subcategory, [
                {{"role": "system", "content": "You are a precise coding assistant."}},
                {{"role": "user", "content": user}},
                {{"role": "assistant", "content": answer}},
            ])


@hookimpl
def register_categories(register):
    register(Category(name="{name}", spec_path=SPEC, generator={cls}Generator()))
'''

SPEC_TEMPLATE = """---
name: {name}
description: TODO one line saying what this category teaches.
version: 1
targets:
  general: 100
rubric:
  threshold: 3.5
---
# {name} generator

You write training conversations for a coding assistant. Each conversation has a realistic user
request and the answer a careful senior engineer would give. Vary languages, domains and phrasing.
"""


def scaffold_category(name: str, directory: Path, force: bool = False) -> tuple[Path, Path]:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise FactoryError(f"category name '{name}' must be lower_snake_case (letters, digits, _)")
    directory.mkdir(parents=True, exist_ok=True)
    py, md = directory / f"{name}.py", directory / f"{name}.md"
    for p in (py, md):
        if p.exists() and not force:
            raise FactoryError(f"{p} already exists (use --force to overwrite)")
    cls = "".join(part.title() for part in name.split("_"))
    py.write_text(PLUGIN_TEMPLATE.format(name=name, cls=cls), encoding="utf-8")
    md.write_text(SPEC_TEMPLATE.format(name=name), encoding="utf-8")
    return py, md
