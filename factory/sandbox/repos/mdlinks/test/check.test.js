import assert from "node:assert/strict";
import { test } from "node:test";
import { checkLinks } from "../src/check.js";

const files = { "README.md": { headings: ["Usage"] }, "docs/guide.md": { headings: ["Install"] } };

test("checkLinks reports a missing file and a missing heading", () => {
  const links = [
    { text: "a", target: "docs/missing.md", line: 1 },
    { text: "b", target: "docs/guide.md#setup", line: 2 },
    { text: "c", target: "docs/guide.md#install", line: 3 },
    { text: "d", target: "https://example.com", line: 4 },
  ];
  const broken = checkLinks("README.md", links, files);
  assert.deepEqual(broken.map((b) => b.line), [1, 2]);
});
