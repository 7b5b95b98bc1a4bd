// The benchmark corpus: every .py file of this machine's Python standard library, site-packages and
// __pycache__ left out, in a stable order. Shared by the runners so all of them see the same files.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** The standard library folder of the `python3` on PATH (override with COROLINT_BENCH_STDLIB). */
export function stdlibPath() {
  if (process.env.COROLINT_BENCH_STDLIB) return process.env.COROLINT_BENCH_STDLIB;
  const script = "import sysconfig; print(sysconfig.get_paths()['stdlib'])";
  return execFileSync("python3", ["-c", script], { encoding: "utf8" }).trim();
}

/** Absolute paths of the corpus files under `root`, sorted. */
export function pythonFiles(root) {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "site-packages" || entry.name === "__pycache__") continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith(".py")) files.push(full);
    }
  };
  walk(root);
  return files.sort();
}

/** The text of each readable corpus file, read as the loop goes (reading is part of every contender's work). */
export function* pythonSources(root) {
  for (const file of pythonFiles(root)) {
    let source;
    try {
      source = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    yield source;
  }
}
