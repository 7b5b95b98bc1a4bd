import { it } from "vitest";
import { parsePython } from "../rules/python/parser";
import { loadCore } from "./helpers/core";
it("x", async () => {
  await loadCore();
  for (const src of ["with open(p) as f:\n  pass\n", "with open(p):\n  pass\n", "f(x for x in y)\n", "f(a, *b, **c)\n", "x = 'é' + open(p)\n"]) {
    const t = parsePython(src);
    console.log(t.rootNode.toString());
    t.delete();
  }
});
