"""tool_neg: one named defect per record, with the correct call kept
in ``meta.defect`` so the pair becomes DPO/KTO data or an error-recovery turn.

Defects: wrong_tool, invented_tool, missing_required, wrong_type, malformed_json, prose_instead_of_call.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from typing import Any

import orjson

from factory import hookimpl
from factory.agents import spec_path
from factory.authoring import vocab as T
from factory.authoring.continue_calls import (
    BUILDERS,
    SYSTEM_PROMPTS,
    compose_request,
    make_calls,
    offered_tools,
)
from factory.authoring.text import one
from factory.registry import Category

# correct tool -> (wrong but offered tool, how to build its arguments from the correct ones)
CONFUSIONS: dict[str, list[tuple[str, Any]]] = {
    "read_file": [("ls", lambda a: {"dirPath": a["filepath"].rsplit("/", 1)[0]}),
                  ("read_currently_open_file", lambda a: {})],
    "file_glob_search": [("grep_search", lambda a: {"query": a["pattern"]})],
    "grep_search": [("file_glob_search", lambda a: {"pattern": a["query"]})],
    "create_new_file": [("edit_existing_file", lambda a: {"filepath": a["filepath"], "changes": a["contents"]})],
    "single_find_and_replace": [("edit_existing_file", lambda a: {"filepath": a["filepath"],
                                                                   "changes": a["new_string"]})],
    "fetch_url_content": [("search_web", lambda a: {"query": a["url"]})],
    "view_diff": [("read_currently_open_file", lambda a: {})],
    "codebase": [("search_web", lambda a: {"query": a["query"]})],
    "search_web": [("codebase", lambda a: {"query": a["query"]})],
    "read_file_range": [("read_currently_open_file", lambda a: {})],
}

INVENTED = {
    "read_file": ("open_file", "read", "cat_file", "get_file_contents"),
    "create_new_file": ("write_file", "new_file", "save_file"),
    "run_terminal_command": ("execute_shell", "run_command", "bash", "shell_exec"),
    "file_glob_search": ("find_files", "glob", "search_files"),
    "ls": ("list_directory", "list_files", "dir"),
    "grep_search": ("search_code", "ripgrep", "find_in_files"),
    "fetch_url_content": ("http_get", "browse", "download_url"),
    "edit_existing_file": ("apply_patch", "modify_file", "update_file"),
    "single_find_and_replace": ("replace_in_file", "sed", "str_replace"),
    "search_web": ("google_search", "web_lookup"),
    "read_file_range": ("read_lines", "view_range"),
}

PROSE = {
    "read_file": ("You can open {filepath} in your editor and look through it; the logic should be near the top.",
                  "I'd start by reading {filepath} -- it probably contains what you're after.",
                  "Take a look at {filepath} yourself, the answer is likely in that file."),
    "run_terminal_command": ("You should run `{command}` in your terminal and check the output.",
                             "Try running `{command}`; it will tell you whether things pass.",
                             "Run `{command}` and paste me the result."),
    "file_glob_search": ("You can search for files matching {pattern} with your editor's file finder.",
                         "Use a glob like {pattern} in the search panel to find them."),
    "grep_search": ("Search the project for `{query}` with your IDE's global search.",
                    "A quick grep for `{query}` should show you every usage."),
    "ls": ("Open the {dirPath} folder in the sidebar to see what's there.",),
    "create_new_file": ("Create {filepath} and paste in a basic implementation; you can adapt it afterwards.",),
    "fetch_url_content": ("The page at {url} explains it -- have a look at the parameters section.",),
    "search_web": ("I'd search for \"{query}\" online; the first results should cover it.",),
    "codebase": ("Look for {query} in the codebase; it is usually in the service layer.",),
    "edit_existing_file": ("Edit {filepath} and add a retry limit constant plus a check before retrying.",),
    "single_find_and_replace": ("Open {filepath} and replace {old_string} with {new_string}.",),
    "read_file_range": ("Scroll to lines {startLine}-{endLine} of {filepath}; the problem should be there.",),
}

WRONG_TYPES = {"string": lambda v: [v], "number": lambda v: str(v), "integer": lambda v: str(v),
               "boolean": lambda v: "true" if v else "false", "array": lambda v: orjson.dumps(v).decode()}


def _malformed(name: str, args: dict, rng: random.Random) -> str:
    good = orjson.dumps({"name": name, "arguments": args}).decode()
    variant = rng.randrange(4)
    if variant == 0:
        broken = good[:-1]  # missing the closing brace
    elif variant == 1:
        broken = good[:-2] + ",}}"  # trailing comma
    elif variant == 2:
        broken = good.replace('"arguments":', "arguments:", 1)  # unquoted key
    else:
        broken = good.replace('"}', "}", 1) if '"}' in good else good[:-1]  # unterminated string
    return f"<tool_call>\n{broken}\n</tool_call>" if rng.random() < 0.5 else broken


class ToolNegGenerator:
    def generate(self, ctx, subcategory: str, count: int) -> Iterator:
        rng = ctx.rng(subcategory)
        by_name = ctx.toolset.by_name()
        candidates = {
            "wrong_tool": list(CONFUSIONS), "invented_tool": list(INVENTED), "prose_instead_of_call": list(PROSE),
            "malformed_json": [n for n in BUILDERS if n not in ("view_diff", "read_currently_open_file", "view_repo_map")],
            "missing_required": [n for n in BUILDERS if by_name[n]["function"]["parameters"].get("required")],
            "wrong_type": [n for n in BUILDERS if by_name[n]["function"]["parameters"].get("properties")],
        }[subcategory]
        while True:
            stack, ent, tool = one(rng, T.STACKS), T.entity_name(rng), one(rng, candidates)
            user, calls, *_ = BUILDERS[tool](rng, stack, ent, "train")
            user = compose_request(rng, user, ent)
            name, args = calls[0]
            correct = make_calls(rng, [(name, args)])
            called = [name]
            defect_detail, assistant = self._defect(subcategory, rng, name, args, by_name, called)
            if assistant is None:
                continue
            tools = offered_tools(rng, ctx.toolset, called, extra=(1, 4))
            system = one(rng, SYSTEM_PROMPTS).format(stack=stack.name)
            yield ctx.example(
                subcategory,
                [{"role": "system", "content": system}, {"role": "user", "content": user}, assistant],
                tools=tools, label=False,
                defect={"kind": subcategory, "detail": defect_detail, "correct": correct},
            )

    def _defect(self, kind, rng, name, args, by_name, called):
        params = by_name[name]["function"]["parameters"]
        if kind == "wrong_tool":
            wrong, make_args = one(rng, CONFUSIONS[name])
            called.append(wrong)
            return (f"called {wrong} where {name} was needed",
                    {"role": "assistant", "tool_calls": make_calls(rng, [(wrong, make_args(args))])})
        if kind == "invented_tool":
            fake = one(rng, INVENTED[name])
            return (f"called '{fake}', which is not offered (meant {name})",
                    {"role": "assistant", "tool_calls": make_calls(rng, [(fake, args)])})
        if kind == "missing_required":
            required = [r for r in params["required"] if r in args]
            if not required:
                return "", None
            drop = one(rng, required)
            bad = {k: v for k, v in args.items() if k != drop}
            return (f"{name} without required argument '{drop}'",
                    {"role": "assistant", "tool_calls": make_calls(rng, [(name, bad)])})
        if kind == "wrong_type":
            present = [k for k in args if params["properties"].get(k, {}).get("type") in WRONG_TYPES]
            if not present:
                return "", None
            key = one(rng, present)
            bad = copy.deepcopy(args)
            bad[key] = WRONG_TYPES[params["properties"][key]["type"]](args[key])
            return (f"{name} argument '{key}' has the wrong JSON type",
                    {"role": "assistant", "tool_calls": make_calls(rng, [(name, bad)])})
        if kind == "malformed_json":
            return (f"{name} call written as unparseable JSON text",
                    {"role": "assistant", "content": _malformed(name, args, rng)})
        templates = PROSE[name]
        text = one(rng, templates).format(**{k: v for k, v in args.items() if isinstance(v, (str, int))})
        return (f"described {name} in prose instead of calling it", {"role": "assistant", "content": text})


@hookimpl
def register_categories(register):
    register(Category(name="tool_neg", spec_path=spec_path("tool_neg"), generator=ToolNegGenerator()))
