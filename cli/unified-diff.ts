/**
 * Unified diffs of two texts (`--diff`), line by line, in the format `patch` and `git apply` read:
 * `--- a/path`, `+++ b/path`, hunks of changes with three lines of context.
 */

/** One step of an edit script: keep a line of both, delete a line of the old text, insert a line of the new. */
type Step = { kind: "keep"; oldIndex: number; newIndex: number } | { kind: "delete"; oldIndex: number } | { kind: "insert"; newIndex: number };

/**
 * The shortest edit script from `a` to `b` (Myers' O((N+M)D) algorithm): for each number of
 * differences d, the furthest point reached on every diagonal k, remembered per d to walk back.
 */
function editScript(a: readonly string[], b: readonly string[]): Step[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  let furthest = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d += 1) {
    trace.push(furthest.slice());
    const next = furthest.slice();
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && furthest[offset + k - 1]! < furthest[offset + k + 1]!);
      let x = down ? furthest[offset + k + 1]! : furthest[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x += 1;
        y += 1;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
    furthest = next;
  }
  trace.push(furthest.slice());
  // Walk back from the end through the remembered rows.
  const steps: Step[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 2; d >= 0; d -= 1) {
    const row = trace[d]!;
    const k = x - y;
    const down = k === -d || (k !== d && row[offset + k - 1]! < row[offset + k + 1]!);
    const previousK = down ? k + 1 : k - 1;
    const previousX = d === 0 ? 0 : row[offset + previousK]!;
    const previousY = previousX - previousK;
    while (x > previousX && y > previousY) {
      x -= 1;
      y -= 1;
      steps.push({ kind: "keep", oldIndex: x, newIndex: y });
    }
    if (d === 0) break;
    if (down) {
      y -= 1;
      steps.push({ kind: "insert", newIndex: y });
    } else {
      x -= 1;
      steps.push({ kind: "delete", oldIndex: x });
    }
  }
  while (x > 0 && y > 0) {
    x -= 1;
    y -= 1;
    steps.push({ kind: "keep", oldIndex: x, newIndex: y });
  }
  return steps.reverse();
}

/** Lines with their line breaks, so a missing final newline and `\r\n` survive. */
function splitLines(text: string): string[] {
  const lines = text.match(/[^\n]*\n|[^\n]+$/g);
  return lines ?? [];
}

function hunkRange(start: number, count: number): string {
  // An empty range names the line before it (0 at the top), as GNU diff does.
  const first = count === 0 ? start : start + 1;
  return count === 1 ? `${first}` : `${first},${count}`;
}

/** The unified diff from `before` to `after` for `path`; "" when they are equal. */
export function unifiedDiff(path: string, before: string, after: string, context = 3): string {
  if (before === after) return "";
  const a = splitLines(before);
  const b = splitLines(after);
  const steps = editScript(a, b);
  const out = [`--- a/${path}\n`, `+++ b/${path}\n`];
  const changed = steps.map((step) => step.kind !== "keep");
  let index = 0;
  while (index < steps.length) {
    if (!changed[index]) {
      index += 1;
      continue;
    }
    // A hunk: from `context` lines before the change to `context` lines after the last change that
    // is no more than 2 × context unchanged lines from the next.
    const start = Math.max(0, index - context);
    let end = index;
    while (end < steps.length) {
      if (changed[end]) {
        end += 1;
        continue;
      }
      let gap = end;
      while (gap < steps.length && !changed[gap]) gap += 1;
      if (gap < steps.length && gap - end <= 2 * context) end = gap;
      else {
        end = Math.min(steps.length, end + context);
        break;
      }
    }
    const hunk = steps.slice(start, end);
    const oldStart = firstIndex(steps, start, "old");
    const newStart = firstIndex(steps, start, "new");
    const oldCount = hunk.filter((step) => step.kind !== "insert").length;
    const newCount = hunk.filter((step) => step.kind !== "delete").length;
    out.push(`@@ -${hunkRange(oldStart, oldCount)} +${hunkRange(newStart, newCount)} @@\n`);
    for (const step of hunk) {
      const line = step.kind === "insert" ? b[step.newIndex]! : a[step.oldIndex]!;
      const prefix = step.kind === "keep" ? " " : step.kind === "delete" ? "-" : "+";
      out.push(prefix + line);
      if (!line.endsWith("\n")) out.push("\n\\ No newline at end of file\n");
    }
    index = end;
  }
  return out.join("");
}

/** The 0-based line number in the old or new text where the steps from `at` begin. */
function firstIndex(steps: readonly Step[], at: number, side: "old" | "new"): number {
  let count = 0;
  for (let i = 0; i < at; i += 1) {
    const step = steps[i]!;
    if (side === "old" ? step.kind !== "insert" : step.kind !== "delete") count += 1;
  }
  return count;
}
