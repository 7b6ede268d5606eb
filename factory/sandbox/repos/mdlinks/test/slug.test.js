import assert from "node:assert/strict";
import { test } from "node:test";
import { slugify } from "../src/slug.js";

test("slugify lower-cases and joins words with hyphens", () => {
  assert.equal(slugify("Getting Started"), "getting-started");
});

test("slugify trims the heading", () => {
  assert.equal(slugify("  Install  "), "install");
});
