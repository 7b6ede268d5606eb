// Links and headings of one Markdown document.
const INLINE = /\[([^\]]*)\]\(([^)\s]+)\)/g;
const REFERENCE = /^\s{0,3}\[([^\]]+)\]:\s*(\S+)/;
const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;

export function extract(text) {
  const links = [];
  const headings = [];
  const lines = text.split("\n");
  lines.forEach((line, index) => {
    const lineNo = index + 1;
    const heading = HEADING.exec(line);
    if (heading) {
      headings.push(heading[2]);
      return;
    }
    const ref = REFERENCE.exec(line);
    if (ref) {
      links.push({ text: ref[1], target: ref[2], line: lineNo });
      return;
    }
    for (const match of line.matchAll(INLINE)) {
      links.push({ text: match[1], target: match[2], line: lineNo });
    }
  });
  return { links, headings };
}
