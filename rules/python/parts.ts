import type { Node } from "web-tree-sitter";

/**
 * A module split into its top-level statements ("parts"), the unit an editor re-analyses. Statements
 * that share a line (`import a; import b`, a trailing comment) form one part, so parts never share a row.
 */
export interface ModulePart {
  nodes: Node[];
  startIndex: number;
  endIndex: number;
  startRow: number;
  endRow: number;
  /** Only functions, classes and comments: other parts see nothing of it but its definitions. */
  definitionsOnly: boolean;
}

const definitionTypes = new Set(["function_definition", "class_definition", "decorated_definition", "comment"]);

/** The parts of a parsed module, in document order. */
export function moduleParts(root: Node): ModulePart[] {
  const parts: ModulePart[] = [];
  for (const node of root.namedChildren) {
    if (!node) continue;
    const endIndex = node.endIndex;
    const endRow = node.endPosition.row;
    const isDefinition = definitionTypes.has(node.type);
    const last = parts[parts.length - 1];
    if (last && node.startPosition.row <= last.endRow) {
      last.nodes.push(node);
      last.endIndex = Math.max(last.endIndex, endIndex);
      last.endRow = Math.max(last.endRow, endRow);
      last.definitionsOnly &&= isDefinition;
      continue;
    }
    parts.push({
      nodes: [node],
      startIndex: node.startIndex,
      endIndex,
      startRow: node.startPosition.row,
      endRow,
      definitionsOnly: isDefinition,
    });
  }
  return parts;
}

/** The bodies of the functions a definition part defines: the function's, or each method's of a class. */
function functionBodies(node: Node): Node[] {
  const definition = node.type === "decorated_definition" ? node.childForFieldName("definition") : node;
  if (definition?.type === "function_definition") {
    const body = definition.childForFieldName("body");
    return body ? [body] : [];
  }
  if (definition?.type !== "class_definition") return [];
  const bodies: Node[] = [];
  for (const member of definition.childForFieldName("body")?.namedChildren ?? []) {
    const method = member?.type === "decorated_definition" ? member.childForFieldName("definition") : member;
    const body = method?.type === "function_definition" ? method.childForFieldName("body") : null;
    if (body) bodies.push(body);
  }
  return bodies;
}

/**
 * What the rest of the module can depend on in a part's text: for a definitions-only part, its text with
 * function bodies cut out (names, decorators, signatures, class-level statements remain); otherwise the
 * whole text. An edit that leaves this unchanged (and the part's `ModuleFacts`) cannot change findings
 * elsewhere in the module.
 */
export function interfaceText(part: ModulePart, source: string): string {
  if (!part.definitionsOnly) return source.slice(part.startIndex, part.endIndex);
  let text = "";
  let from = part.startIndex;
  for (const node of part.nodes) {
    for (const body of functionBodies(node)) {
      text += source.slice(from, body.startIndex) + "\u0000";
      from = body.endIndex;
    }
  }
  return text + source.slice(from, part.endIndex);
}
