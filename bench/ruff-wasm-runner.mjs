// One benchmark process: Ruff's WASM build (flake8-async ASYNC rules and RUF006) over the corpus.
// Run as `node --liftoff-only bench/ruff-wasm-runner.mjs ROOT`; prints `files findings` on stdout.
import { PositionEncoding, Workspace } from "@astral-sh/ruff-wasm-nodejs";
import { pythonSources } from "./python-files.mjs";

const root = process.argv[2];
const workspace = new Workspace({ lint: { select: ["ASYNC", "RUF006"] } }, PositionEncoding.Utf16);
let findings = 0;
let files = 0;
for (const source of pythonSources(root)) {
  files += 1;
  findings += workspace.check(source).filter((d) => d.code && d.code !== "invalid-syntax").length;
}
console.log(`${files} ${findings}`);
