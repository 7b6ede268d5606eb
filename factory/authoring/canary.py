"""A canary tool set for held-out evaluation: the Continue tools' capabilities under names, parameter
names and descriptions that no training record uses. An eval record rewritten onto it asks whether a
model reads the schemas it is given, or recalls the ones it was trained on.

:func:`to_canary` rewrites a record's offered tools and its calls (arguments included, nested edit
lists too); the rewritten record is valid against its own tools exactly when the original was.
"""

from __future__ import annotations

import copy
from typing import Any

# Continue tool -> (canary name, canary description, {parameter: canary parameter})
CANARY: dict[str, tuple[str, str, dict[str, str]]] = {
    "read_file": ("open_file", "Return the full text of a file in the project.", {"filepath": "path"}),
    "create_new_file": ("write_new_file", "Make a file that does not exist yet, with the given text.",
                        {"filepath": "path", "contents": "text"}),
    "run_terminal_command": ("shell", "Execute a shell command in the project root and return its output.",
                             {"command": "cmd", "waitForCompletion": "wait"}),
    "file_glob_search": ("find_files", "List project files whose paths match a glob.", {"pattern": "glob"}),
    "view_diff": ("git_diff", "Show the uncommitted changes in the working tree.", {}),
    "read_currently_open_file": ("active_editor_contents", "Return the file open in the editor.", {}),
    "ls": ("list_dir", "List the entries of a directory.", {"dirPath": "path", "recursive": "recursive"}),
    "create_rule_block": ("save_guideline", "Store a coding guideline for later conversations.",
                          {"name": "title", "rule": "text", "description": "summary", "globs": "file_globs",
                           "regex": "pattern", "alwaysApply": "always"}),
    "fetch_url_content": ("http_fetch", "Download a web page and return its text.", {"url": "address"}),
    "request_rule": ("load_guideline", "Load a stored guideline by its title.", {"name": "title"}),
    "read_skill": ("open_playbook", "Open a playbook of instructions by name.", {"skillName": "playbook"}),
    "search_web": ("internet_search", "Search the internet and return the top results.", {"query": "terms"}),
    "view_repo_map": ("project_outline", "Outline the repository's files and symbols.", {}),
    "view_subdirectory": ("folder_tree", "Show the tree under a folder.", {"directory_path": "folder"}),
    "codebase": ("semantic_code_search", "Find code related to a natural-language question.", {"query": "question"}),
    "read_file_range": ("read_lines", "Return a range of lines (1-based, inclusive) of a file.",
                        {"filepath": "path", "startLine": "first", "endLine": "last"}),
    "multi_edit": ("batch_replace", "Apply several exact-text replacements to one file, in order.",
                   {"filepath": "path", "edits": "replacements", "old_string": "find", "new_string": "replace",
                    "replace_all": "every"}),
    "edit_existing_file": ("patch_file", "Apply a partial rewrite to an existing file.", {"filepath": "path", "changes": "patch"}),
    "single_find_and_replace": ("replace_text", "Replace exact text in a file (unique unless every is true).",
                                {"filepath": "path", "old_string": "find", "new_string": "replace", "replace_all": "every"}),
    "grep_search": ("regex_search", "Search file contents with a regular expression.", {"query": "expression"}),
}


def _rename_schema(schema: Any, names: dict[str, str]) -> Any:
    if isinstance(schema, dict):
        out = {}
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                out[key] = {names.get(k, k): _rename_schema(v, names) for k, v in value.items()}
            elif key == "required" and isinstance(value, list):
                out[key] = [names.get(k, k) for k in value]
            else:
                out[key] = _rename_schema(value, names)
        return out
    if isinstance(schema, list):
        return [_rename_schema(v, names) for v in schema]
    return schema


def _rename_args(args: Any, names: dict[str, str]) -> Any:
    if isinstance(args, dict):
        return {names.get(k, k): _rename_args(v, names) for k, v in args.items()}
    if isinstance(args, list):
        return [_rename_args(v, names) for v in args]
    return args


def to_canary(record: dict[str, Any]) -> dict[str, Any] | None:
    """The record on the canary tool set; None when it offers a tool the canary set has no twin for."""
    tools = record.get("tools") or []
    names = [t.get("function", {}).get("name") for t in tools]
    if not tools or any(n not in CANARY for n in names):
        return None
    out = copy.deepcopy(record)
    new_tools = []
    for tool in out["tools"]:
        fn = tool["function"]
        name, desc, params = CANARY[fn["name"]]
        new_tools.append({"type": "function", "function": {
            "name": name, "description": desc, "parameters": _rename_schema(fn.get("parameters") or {}, params)}})
    out["tools"] = new_tools
    for msg in out.get("messages") or []:
        for call in msg.get("tool_calls") or []:
            fn = call["function"]
            name, _, params = CANARY[fn["name"]]
            fn["name"], fn["arguments"] = name, _rename_args(fn["arguments"], params)
        if msg.get("role") == "tool" and msg.get("name") in CANARY:
            msg["name"] = CANARY[msg["name"]][0]
    return out
