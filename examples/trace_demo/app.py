"""A small asyncio program to trace (it does run, unlike the other examples).

Three tasks share one event loop: two poll on a timer with `await asyncio.sleep`, one renders a
report and, on its way, calls `time.sleep(0.3)`, which stops every task for 300 ms. It ends after
about one second.

    corolint trace -- python3 examples/trace_demo/app.py      # or, in VS Code: corolint: Trace This File
    corolint view corolint-trace.json

The trace shows the three tasks' lanes and one red block at the `time.sleep` line; the heartbeat
polls fall behind while it lasts.
"""

import asyncio
import time


async def poll(name: str, period: float, rounds: int) -> str:
    late = 0.0
    for _ in range(rounds):
        due = time.perf_counter() + period
        await asyncio.sleep(period)
        late = max(late, time.perf_counter() - due)
    return f"{name} (worst delay {late * 1000:.0f} ms)"


async def render_report() -> str:
    await asyncio.sleep(0.2)
    time.sleep(0.3)  # blocking-call: stalls the other tasks for 300 ms; `await asyncio.sleep(0.3)` would not
    await asyncio.sleep(0.2)
    return "report"


async def main() -> None:
    started = time.perf_counter()
    results = await asyncio.gather(poll("heartbeat", 0.05, 14), poll("metrics", 0.1, 7), render_report())
    print(f"done in {time.perf_counter() - started:.1f} s: {', '.join(results)}")


if __name__ == "__main__":
    asyncio.run(main())
