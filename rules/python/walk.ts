import type { Node } from "web-tree-sitter";

const nestedScopes = new Set(["function_definition", "lambda", "class_definition", "decorated_definition"]);

/**
 * Visits `node`'s named descendants that run as part of the same function body: it does not enter
 * nested functions, lambdas or classes, whose code runs at some other time. `visit` returning
 * `false` skips that node's children.
 */
export function walkSameFunction(node: Node, visit: (node: Node) => boolean | void): void {
  for (const child of node.namedChildren) {
    if (!child || nestedScopes.has(child.type)) continue;
    if (visit(child) === false) continue;
    walkSameFunction(child, visit);
  }
}

/** Whether any node in the same function body satisfies `test`. */
export function someInSameFunction(node: Node, test: (node: Node) => boolean): boolean {
  let found = false;
  walkSameFunction(node, (n) => {
    if (found) return false;
    if (test(n)) found = true;
    return !found;
  });
  return found;
}

/** Whether a `for_statement`, `with_statement` or `for_in_clause` is the `async` form. */
export function isAsyncForm(node: Node): boolean {
  return node.children[0]?.type === "async";
}
