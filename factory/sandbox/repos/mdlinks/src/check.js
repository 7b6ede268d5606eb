import { anchors } from "./slug.js";

// files: { path: { headings: [...] } }. Returns the links that point nowhere, with the reason.
export function checkLinks(path, links, files) {
  const broken = [];
  for (const link of links) {
    if (/^[a-z]+:/i.test(link.target)) {
      continue; // http(s), mailto: not checked offline
    }
    const [file, anchor] = link.target.split("#");
    const target = file === "" ? path : file;
    if (!(target in files)) {
      broken.push({ ...link, reason: `no file ${target}` });
      continue;
    }
    if (anchor !== undefined && !anchors(files[target].headings).includes(anchor)) {
      broken.push({ ...link, reason: `no heading #${anchor} in ${target}` });
    }
  }
  return broken;
}
