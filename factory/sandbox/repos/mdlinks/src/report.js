// Terminal lines for the broken links of one run.
export function formatReport(path, broken) {
  if (broken.length === 0) {
    return `${path}: all links resolve`;
  }
  const lines = broken.map((b) => `${path}:${b.line}: ${b.target} (${b.reason})`);
  lines.push(`${broken.length} broken links`);
  return lines.join("\n");
}
