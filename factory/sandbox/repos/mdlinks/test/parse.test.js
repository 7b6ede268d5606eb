import assert from "node:assert/strict";
import { test } from "node:test";
import { extract } from "../src/parse.js";

test("extract finds inline links with their line", () => {
  const { links } = extract("intro\nsee [the guide](docs/guide.md) first\n");
  assert.deepEqual(links, [{ text: "the guide", target: "docs/guide.md", line: 2 }]);
});

test("extract finds headings and reference definitions", () => {
  const { links, headings } = extract("# Title\n\n[home]: README.md\n");
  assert.deepEqual(headings, ["Title"]);
  assert.deepEqual(links, [{ text: "home", target: "README.md", line: 3 }]);
});
