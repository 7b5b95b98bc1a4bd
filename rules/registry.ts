import type { Rule } from "./rule";
import { blockingCall } from "./catalogue/blocking-call";
import { blockingCallTransitive } from "./catalogue/blocking-call-transitive";
import { danglingTask } from "./catalogue/dangling-task";
import { lateMonkeyPatch } from "./catalogue/late-monkey-patch";
import { monkeyPatch } from "./catalogue/monkey-patch";
import { nonYieldingLoop } from "./catalogue/non-yielding-loop";
import { unawaitedCoroutine } from "./catalogue/unawaited-coroutine";

/** The rule catalogue, sorted by id. A test fails on a duplicate id or a rule file left out of this list. */
export const rules: readonly Rule[] = [
  blockingCall,
  blockingCallTransitive,
  danglingTask,
  lateMonkeyPatch,
  monkeyPatch,
  nonYieldingLoop,
  unawaitedCoroutine,
].sort((a, b) => a.id.localeCompare(b.id));

const byId = new Map(rules.map((rule) => [rule.id, rule]));

/** The rule with this id, if any. */
export function ruleById(id: string): Rule | undefined {
  return byId.get(id);
}
