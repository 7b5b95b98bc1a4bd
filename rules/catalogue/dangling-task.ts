import type { Rule } from "../rule";

/** Calls that schedule a task and return the only strong reference to it. */
const taskFactories = new Set([
  "asyncio.create_task",
  "asyncio.ensure_future",
  "asyncio.tasks.create_task",
  "asyncio.tasks.ensure_future",
  "asyncio.AbstractEventLoop.create_task",
]);

export const danglingTask: Rule = {
  id: "dangling-task",
  summary: "The task returned by `asyncio.create_task` / `ensure_future` is discarded and can vanish mid-flight.",
  languages: ["python"],
  defaultSeverity: "warning",
  equivalents: { ruff: ["RUF006"] },
  docs: {
    what:
      "Reports statements that call `asyncio.create_task`, `asyncio.ensure_future` or `loop.create_task` (where `loop` " +
      "comes from `asyncio.get_running_loop()` / `get_event_loop()`) and throw the returned task away. " +
      "`TaskGroup.create_task` is not reported: the group keeps the task alive.",
    why:
      "The event loop keeps only a weak reference to a task. A task nobody references can be garbage-collected before " +
      "it finishes — the work silently stops half-way — and an exception it raises is never seen.",
    example: [
      "import asyncio",
      "",
      "async def notify(user): ...",
      "",
      "async def handle(user):",
      "    asyncio.create_task(notify(user))",
    ].join("\n"),
    useInstead: [
      "import asyncio",
      "",
      "background_tasks = set()",
      "",
      "async def notify(user): ...",
      "",
      "async def handle(user):",
      "    task = asyncio.create_task(notify(user))",
      "    background_tasks.add(task)",
      "    task.add_done_callback(background_tasks.discard)",
    ].join("\n"),
  },
  mightApply: (source) => /create_task|ensure_future/.test(source),
  checkPython({ model, report }) {
    for (const site of model.statementCalls) {
      const call = site.node;
      const callee = model.callee(call, site.scope);
      if (!callee || !taskFactories.has(callee)) continue;
      const shown = callee.startsWith("asyncio.AbstractEventLoop.") ? "loop.create_task" : callee;
      report({
        node: call,
        message:
          `The task returned by \`${shown}()\` is discarded: the loop keeps only a weak reference, so it can be ` +
          "garbage-collected before it finishes; keep a reference (a set plus `add_done_callback(set.discard)`) or use `asyncio.TaskGroup`",
      });
    }
  },
};
