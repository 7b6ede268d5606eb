import assert from "node:assert/strict";
import { test } from "node:test";
import { formatReport } from "../src/report.js";

test("formatReport says when everything resolves", () => {
  assert.equal(formatReport("README.md", []), "README.md: all links resolve");
});
