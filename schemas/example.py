"""The Example record: one training conversation with its offered tools, label, scores and provenance.

Tool-call ``arguments`` are dicts everywhere inside the factory. Only exporters whose target format
says so (OpenAI fine-tuning) turn them into JSON strings: a dict rendered by a chat template that
expects a string, or the reverse, is the most common silent corruption in tool-calling SFT.
"""

from __future__ import annotations

import hashlib
from enum import Enum
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, model_validator


class FunctionCall(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    arguments: dict[str, Any]


class ToolCall(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    type: Literal["function"] = "function"
    function: FunctionCall


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "user", "assistant", "tool"]
    content: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None
    name: str | None = None
    # Reasoning text (e.g. Claude "thinking" blocks) kept apart from the answer; exporters decide.
    reasoning: str | None = None

    @model_validator(mode="after")
    def _role_fields(self) -> Message:
        if self.tool_calls is not None and self.role != "assistant":
            raise ValueError(f"only assistant messages carry tool_calls, not {self.role}")
        if self.role == "tool" and not self.tool_call_id:
            raise ValueError("a tool message needs the tool_call_id it answers")
        if self.role != "tool" and self.tool_call_id is not None:
            raise ValueError(f"tool_call_id belongs on tool messages, not {self.role}")
        if self.role == "assistant":
            if not self.tool_calls and not (self.content and self.content.strip()):
                raise ValueError("an assistant message needs content or tool_calls")
        elif self.content is None:
            raise ValueError(f"a {self.role} message needs content")
        return self


class DefectKind(str, Enum):
    """The one named defect a negative (tool_neg) record carries in its last assistant turn."""

    wrong_tool = "wrong_tool"
    invented_tool = "invented_tool"
    missing_required = "missing_required"
    wrong_type = "wrong_type"
    malformed_json = "malformed_json"
    prose_instead_of_call = "prose_instead_of_call"


class Defect(BaseModel):
    """A declared defect plus the correct tool calls, so the record can become a DPO/KTO pair."""

    model_config = ConfigDict(extra="forbid")

    kind: DefectKind
    detail: str = ""
    correct: list[ToolCall] = Field(min_length=1)


class Meta(BaseModel):
    """Provenance. Extra keys are allowed so ingestors and enhancers can add theirs (license, parent)."""

    model_config = ConfigDict(extra="allow")

    generator: str = ""
    spec: str = ""
    spec_hash: str = ""
    provider: str = "template"
    model: str | None = None
    seed: int | None = None
    created: str | None = None
    defect: Defect | None = None
    # Id of the record this one was derived from (an enhanced version points at its original).
    parent_id: str | None = None


def _canonical(obj: Any) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


def content_id(category: str, subcategory: str, messages: list[dict], tools: list[dict]) -> str:
    """Stable id: a hash of what the model is trained on, not of provenance or scores."""
    h = hashlib.sha256()
    h.update(_canonical([category, subcategory, messages, tools]))
    return h.hexdigest()[:20]


class Example(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = ""
    category: str = Field(min_length=1)
    subcategory: str = ""
    messages: list[Message] = Field(min_length=1)
    tools: list[dict[str, Any]] = Field(default_factory=list)
    label: bool | None = None
    scores: dict[str, float] = Field(default_factory=dict)
    meta: Meta = Field(default_factory=Meta)

    @model_validator(mode="after")
    def _fill_id(self) -> Example:
        if not self.id:
            self.id = self.compute_id()
        return self

    def compute_id(self) -> str:
        msgs = [m.model_dump(exclude_none=True) for m in self.messages]
        return content_id(self.category, self.subcategory, msgs, self.tools)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)

    def to_json(self) -> bytes:
        """One JSONL line (without the newline); key order fixed so same record -> same bytes."""
        return orjson.dumps(self.to_dict())

    @property
    def tool_names(self) -> list[str]:
        return [t["function"]["name"] for t in self.tools if "function" in t]

    def first_user_text(self) -> str:
        return next((m.content or "" for m in self.messages if m.role == "user"), "")
