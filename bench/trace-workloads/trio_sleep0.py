"""bench:trace (a) for trio: 2,000 tasks, each awaiting trio.sleep(0) 100 times."""
import trio

TASKS = 2000
STEPS = 100


async def worker():
    for _ in range(STEPS):
        await trio.sleep(0)


async def main():
    async with trio.open_nursery() as nursery:
        for _ in range(TASKS):
            nursery.start_soon(worker)


trio.run(main)
