// The anchor GitHub gives a heading: lower case, spaces to hyphens, punctuation dropped.
export function slugify(heading) {
  return heading
    .trim()
    .toLowerCase()
    .replace(/\s/g, "-");
}

// Anchors for every heading of one file, in order.
export function anchors(headings) {
  return headings.map((h) => slugify(h));
}
