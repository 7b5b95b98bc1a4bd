// bench:trace (c): a promise-heavy Node program — 2,000 async functions, each awaiting 1,000 times.
const TASKS = 2000;
const STEPS = 1000;

async function worker(seed) {
  let total = seed;
  for (let step = 0; step < STEPS; step++) {
    total += await Promise.resolve(step);
  }
  return total;
}

const results = await Promise.all(Array.from({ length: TASKS }, (_, index) => worker(index)));
if (results.length !== TASKS) throw new Error("lost a task");
