"""Pydantic models: the only contract between the factory's stages.

``Example`` is the record every stage reads and writes; ``AgentSpec`` is the front matter of an
``agents/*.md`` file. Tool-set JSON files live in ``toolsets/``.
"""

from factory.schemas.example import (
    Defect,
    DefectKind,
    Example,
    FunctionCall,
    Message,
    Meta,
    ToolCall,
    content_id,
)
from factory.schemas.spec import DEFAULT_RUBRIC, AgentSpec, Rubric

__all__ = [
    "DEFAULT_RUBRIC",
    "AgentSpec",
    "Defect",
    "DefectKind",
    "Example",
    "FunctionCall",
    "Message",
    "Meta",
    "Rubric",
    "ToolCall",
    "content_id",
]
