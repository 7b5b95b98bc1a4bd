"""bench:trace (a): 2,000 asyncio tasks, each awaiting asyncio.sleep(0) 100 times (the tracer's worst case)."""
import asyncio

TASKS = 2000
STEPS = 100


async def worker():
    for _ in range(STEPS):
        await asyncio.sleep(0)


async def main():
    await asyncio.gather(*(worker() for _ in range(TASKS)))


asyncio.run(main())
