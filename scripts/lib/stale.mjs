import fs from "node:fs";
import path from "node:path";

const SKIP = new Set(["node_modules", ".next", "dist", "reports", "test-results", "__tests__", ".git"]);

/** Newest modification time (ms) of the source files under `dirs`, tests excluded. */
export function newestMtime(root, entries) {
  let newest = 0;
  const visit = (p) => {
    let st;
    try {
      st = fs.statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(p)) {
        if (!SKIP.has(name) && !name.includes(".test.")) visit(path.join(p, name));
      }
    } else if (st.mtimeMs > newest) {
      newest = st.mtimeMs;
    }
  };
  for (const e of entries) visit(path.join(root, e));
  return newest;
}

export function mtimeOf(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
