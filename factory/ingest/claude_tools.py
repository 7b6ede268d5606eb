"""JSON schemas of Claude Code's built-in tools, as their calls appear in session logs (1.0.x-2.1.x).

Records offer these schemas so each logged call validates against a real definition. Parameters that
changed between versions are all listed and only the ones every version sends are required;
``additionalProperties`` stays open because newer versions add options. A tool that is not known here
(an MCP tool such as ``mcp__server__name``, or one added later) gets an open schema derived from its
name, marked in ``x-derived`` so exporters and reviewers can tell.
"""

from __future__ import annotations

from typing import Any

_S = {"type": "string"}
_I = {"type": "integer"}
_B = {"type": "boolean"}


def _tool(name: str, description: str, props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "function", "function": {
        "name": name, "description": description,
        "parameters": {"type": "object", "properties": props, "required": required},
    }}


_TODO = {"type": "object", "properties": {"content": _S, "status": _S, "activeForm": _S, "id": _S,
                                          "priority": _S}, "required": ["content", "status"]}

CLAUDE_CODE_TOOLS: dict[str, dict[str, Any]] = {t["function"]["name"]: t for t in (
    _tool("Read", "Read a file from the local filesystem; lines are numbered from 1.",
          {"file_path": _S, "offset": _I, "limit": _I, "pages": _S}, ["file_path"]),
    _tool("Write", "Write a file to the local filesystem, replacing it if it exists.",
          {"file_path": _S, "content": _S}, ["file_path", "content"]),
    _tool("Edit", "Replace an exact string in a file.",
          {"file_path": _S, "old_string": _S, "new_string": _S, "replace_all": _B},
          ["file_path", "old_string", "new_string"]),
    _tool("MultiEdit", "Apply several exact-string replacements to one file in order.",
          {"file_path": _S, "edits": {"type": "array", "items": {"type": "object", "properties": {
              "old_string": _S, "new_string": _S, "replace_all": _B}, "required": ["old_string", "new_string"]}}},
          ["file_path", "edits"]),
    _tool("Bash", "Run a bash command in a persistent shell.",
          {"command": _S, "description": _S, "timeout": {"type": "number"}, "run_in_background": _B,
           "dangerouslyDisableSandbox": _B}, ["command"]),
    _tool("BashOutput", "Read output from a background shell.", {"bash_id": _S, "filter": _S}, ["bash_id"]),
    _tool("KillShell", "Kill a background shell.", {"shell_id": _S}, ["shell_id"]),
    _tool("Glob", "Find files by glob pattern.", {"pattern": _S, "path": _S}, ["pattern"]),
    _tool("Grep", "Search file contents with ripgrep.",
          {"pattern": _S, "path": _S, "glob": _S, "type": _S, "output_mode": _S, "-i": _B, "-n": _B,
           "-A": _I, "-B": _I, "-C": _I, "multiline": _B, "head_limit": _I}, ["pattern"]),
    _tool("LS", "List a directory.", {"path": _S, "ignore": {"type": "array", "items": _S}}, ["path"]),
    _tool("Task", "Launch a sub-agent to handle a task autonomously.",
          {"description": _S, "prompt": _S, "subagent_type": _S}, ["prompt"]),
    _tool("Agent", "Launch a sub-agent to handle a task autonomously.",
          {"description": _S, "prompt": _S, "subagent_type": _S, "name": _S, "isolation": _S,
           "model": _S, "run_in_background": _B}, ["prompt"]),
    _tool("TodoWrite", "Create and update the session's todo list.",
          {"todos": {"type": "array", "items": _TODO}}, ["todos"]),
    _tool("TodoRead", "Read the session's todo list.", {}, []),
    _tool("TaskCreate", "Create a task in the task list.",
          {"subject": _S, "description": _S, "activeForm": _S}, ["subject"]),
    _tool("TaskUpdate", "Update a task's status or owner.",
          {"taskId": _S, "status": _S, "owner": _S, "subject": _S, "description": _S}, ["taskId"]),
    _tool("TaskList", "List the tasks.", {}, []),
    _tool("TaskGet", "Get one task.", {"taskId": _S}, ["taskId"]),
    _tool("TaskOutput", "Read a background task's output.", {"task_id": _S}, []),
    _tool("TaskStop", "Stop a background task.", {"task_id": _S}, []),
    _tool("SendMessage", "Send a message to another agent.",
          {"to": _S, "recipient": _S, "message": _S, "content": _S, "summary": _S, "type": _S}, []),
    _tool("ToolSearch", "Search the deferred tools and load their definitions.",
          {"query": _S, "max_results": _I}, ["query"]),
    _tool("WebFetch", "Fetch a URL and process its content with a prompt.", {"url": _S, "prompt": _S}, ["url"]),
    _tool("WebSearch", "Search the web.",
          {"query": _S, "allowed_domains": {"type": "array", "items": _S},
           "blocked_domains": {"type": "array", "items": _S}}, ["query"]),
    _tool("NotebookRead", "Read a Jupyter notebook.", {"notebook_path": _S, "cell_id": _S}, ["notebook_path"]),
    _tool("NotebookEdit", "Edit a Jupyter notebook cell.",
          {"notebook_path": _S, "cell_id": _S, "new_source": _S, "cell_type": _S, "edit_mode": _S},
          ["notebook_path", "new_source"]),
    _tool("ExitPlanMode", "Leave plan mode, presenting the plan.", {"plan": _S}, []),
    _tool("EnterPlanMode", "Enter plan mode.", {}, []),
    _tool("AskUserQuestion", "Ask the user multiple-choice questions.",
          {"questions": {"type": "array"}}, ["questions"]),
    _tool("Skill", "Run a skill.", {"skill": _S, "command": _S, "args": _S}, []),
    _tool("SlashCommand", "Run a slash command.", {"command": _S}, ["command"]),
)}


def tool_schema(name: str) -> dict[str, Any]:
    """The known schema, or an open one for MCP and unknown tools (marked ``x-derived``)."""
    known = CLAUDE_CODE_TOOLS.get(name)
    if known is not None:
        return known
    return {"type": "function", "function": {
        "name": name,
        "description": f"{name} (schema not known to the factory; any arguments accepted)",
        "parameters": {"type": "object", "properties": {}, "additionalProperties": True},
        "x-derived": True,
    }}
