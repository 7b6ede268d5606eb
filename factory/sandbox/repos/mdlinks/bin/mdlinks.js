#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { checkLinks } from "../src/check.js";
import { extract } from "../src/parse.js";
import { formatReport } from "../src/report.js";

const paths = process.argv.slice(2);
const files = Object.fromEntries(paths.map((p) => [p, extract(readFileSync(p, "utf8"))]));
let failed = false;
for (const path of paths) {
  const broken = checkLinks(path, files[path].links, files);
  console.log(formatReport(path, broken));
  failed ||= broken.length > 0;
}
process.exitCode = failed ? 1 : 0;
