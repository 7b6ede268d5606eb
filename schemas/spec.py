"""The agent spec: YAML front matter of an ``agents/*.md`` file, validated strictly.

The markdown body below the front matter is the system prompt an LLM provider receives.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Five judge dimensions, 1-5: the default rubric.
DEFAULT_RUBRIC_DIMENSIONS: dict[str, str] = {
    "session_memory_quality": "The conversation's memory of earlier work is specific and concrete.",
    "tool_context_quality": "Tool choice and arguments follow from the request and context (the WHY).",
    "goal_coherence": "Every step serves the user's goal; subgoals decompose it sensibly.",
    "prompt_naturalness": "The user turn reads like something a developer would really type.",
    "response_realism": "The assistant's answer or tool call is what a capable assistant would do.",
}


class Rubric(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dimensions: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_RUBRIC_DIMENSIONS))
    scale: tuple[int, int] = (1, 5)
    # A record is labelled true when its mean score reaches the threshold and no dimension is below
    # ``min_dimension``.
    threshold: float = 3.5
    min_dimension: float = 2.0

    @field_validator("dimensions")
    @classmethod
    def _non_empty(cls, v: dict[str, str]) -> dict[str, str]:
        if not v:
            raise ValueError("a rubric needs at least one dimension")
        return current_scores(v)


DEFAULT_RUBRIC = Rubric()

# Dimension names used before they were snake_case: scores and rubrics that carry them still read.
RENAMED_DIMENSIONS = {"sessionMemory_quality": "session_memory_quality", "toolContext_quality": "tool_context_quality"}


def current_scores(scores: dict[str, Any]) -> dict[str, Any]:
    """``scores`` with renamed dimensions under their current names."""
    return {RENAMED_DIMENSIONS.get(k, k): v for k, v in scores.items()}


class ProviderHints(BaseModel):
    """Hints for LLM providers; the offline template provider ignores them."""

    model_config = ConfigDict(extra="forbid")

    temperature: float = 0.8
    examples_per_call: int = Field(default=5, ge=1, le=50)
    max_tokens: int = Field(default=4096, ge=16)
    model: str | None = None


class AgentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str = Field(min_length=1)
    version: str | int = 1
    toolset: str | None = None
    # Subcategory -> default count. Their sum is the category's default count.
    targets: dict[str, int] = Field(min_length=1)
    rubric: Rubric = Field(default_factory=Rubric)
    provider: ProviderHints = Field(default_factory=ProviderHints)
    # Output file name; defaults to ``<name>.jsonl``.
    output: str | None = None
    # Free-form labels. ``refusal``: a record of the category that answers without a tool call is
    # scored as a refusal by ``factory eval``.
    tags: list[str] = Field(default_factory=list)
    # The category is evaluation data: merge keeps it out of the training splits, and a training data
    # directory leaves its file out.
    held_out: bool = False
    # The first curriculum stage that trains on the category (1: tool use, 2: agentic work); unset:
    # only the last stage, which trains on everything.
    curriculum_stage: int | None = Field(default=None, ge=1)
    # Capabilities the category teaches -> the subcategories that teach them (empty: all of them);
    # ``factory coverage`` counts the records behind each capability.
    capabilities: dict[str, list[str]] = Field(default_factory=dict)
    # The markdown body (system prompt); filled by the loader, not written in front matter.
    body: str = Field(default="", exclude=True)
    # sha256 of the whole spec file, first 12 hex digits; filled by the loader.
    hash: str = Field(default="", exclude=True)
    path: str = Field(default="", exclude=True)

    @field_validator("targets")
    @classmethod
    def _positive(cls, v: dict[str, int]) -> dict[str, int]:
        bad = {k: n for k, n in v.items() if not isinstance(n, int) or n < 0}
        if bad:
            raise ValueError(f"subcategory counts must be non-negative integers: {bad}")
        return v

    @model_validator(mode="after")
    def _capability_subcategories_exist(self) -> AgentSpec:
        for capability, subs in self.capabilities.items():
            unknown = [s for s in subs if s not in self.targets]
            if unknown:
                raise ValueError(f"capabilities: {capability} names subcategories the spec does not have: "
                                 f"{', '.join(unknown)} (subcategories: {', '.join(self.targets)})")
        return self

    @property
    def total(self) -> int:
        return sum(self.targets.values())

    @property
    def output_file(self) -> str:
        return self.output or f"{self.name}.jsonl"

    def front_matter(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
