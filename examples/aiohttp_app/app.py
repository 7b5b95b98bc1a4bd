"""Application factory: routes, start-up, and the price cache the handlers share."""
import asyncio

from aiohttp import web

from . import db, handlers


class PriceCache:
    """Prices loaded once at start-up; handlers wait until the cache is warm."""

    def __init__(self) -> None:
        self.prices: dict = {}
        self.ready = False
        self._loaded = asyncio.Event()

    async def load(self, conn) -> None:
        self.prices = await db.load_prices(conn)
        self.ready = True
        self._loaded.set()

    async def wait_ready_spinning(self) -> None:
        # non-yielding-loop: the body never awaits, so load() never runs to flip the flag.
        while not self.ready:
            pass

    async def wait_ready(self) -> None:
        await self._loaded.wait()


async def on_startup(app: web.Application) -> None:
    await db.create_schema()
    app["db"] = await db.connect()
    app["prices"] = PriceCache()
    # Stored on the app, so the loader task cannot be garbage-collected half way.
    app["price_loader"] = asyncio.create_task(app["prices"].load(app["db"]))


async def on_cleanup(app: web.Application) -> None:
    await app["db"].close()


def create_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/quote/{sku}", handlers.get_quote)
    app.router.add_get("/items/{sku}", handlers.item_page)
    app.router.add_post("/orders", handlers.create_order)
    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


if __name__ == "__main__":
    web.run_app(create_app())
