"""HTTP handlers of the inventory service.

Every handler runs on the event loop thread, so anything that blocks here
stalls every other request in flight. Each pitfall sits next to the fix.
"""
import asyncio
import time
from pathlib import Path

import aiohttp
import requests
from aiohttp import web

from . import db

TEMPLATES = Path(__file__).parent / "templates"
PRICING_URL = "https://pricing.internal.example/api/v1/quote"
WAREHOUSE_URL = "https://warehouse.internal.example/api/v1/orders"

# Background jobs started by handlers. The event loop keeps only a weak
# reference to a task, so we hold a strong one until the task is done.
_background_tasks: set[asyncio.Task] = set()


async def get_quote_blocking(request: web.Request) -> web.Response:
    # blocking-call: requests is synchronous, the loop waits for the pricing service.
    response = requests.get(PRICING_URL, params={"sku": request.match_info["sku"]}, timeout=5)
    return web.json_response(response.json())


async def get_quote(request: web.Request) -> web.Response:
    async with aiohttp.ClientSession() as session:
        async with session.get(PRICING_URL, params={"sku": request.match_info["sku"]}) as response:
            return web.json_response(await response.json())


async def item_page_blocking(request: web.Request) -> web.Response:
    item = await db.fetch_item(request.app["db"], request.match_info["sku"])
    # blocking-call: open() reads the template from disk on the loop thread.
    with open(TEMPLATES / "item.html") as template:
        html = template.read().format(**item)
    return web.Response(text=html, content_type="text/html")


async def item_page(request: web.Request) -> web.Response:
    item = await db.fetch_item(request.app["db"], request.match_info["sku"])
    template = await asyncio.to_thread((TEMPLATES / "item.html").read_text)
    return web.Response(text=template.format(**item), content_type="text/html")


async def notify_warehouse_blocking(order: dict) -> None:
    for attempt in range(3):
        try:
            async with aiohttp.ClientSession() as session:
                await session.post(WAREHOUSE_URL, json=order)
            return
        except aiohttp.ClientError:
            # blocking-call: the back-off freezes the whole service, not just this retry.
            time.sleep(2**attempt)


async def notify_warehouse(order: dict) -> None:
    for attempt in range(3):
        try:
            async with aiohttp.ClientSession() as session:
                await session.post(WAREHOUSE_URL, json=order)
            return
        except aiohttp.ClientError:
            await asyncio.sleep(2**attempt)


async def record_audit(request: web.Request, event: str) -> None:
    await db.save_audit_entry(request.app["db"], request.remote, event)


async def create_order_sloppy(request: web.Request) -> web.Response:
    order = await request.json()
    order_id = await db.save_order(request.app["db"], order)
    # dangling-task: nothing keeps the task alive, and its errors are never seen.
    asyncio.create_task(notify_warehouse(order))
    # unawaited-coroutine: builds a coroutine object and drops it; no audit entry is written.
    record_audit(request, f"order {order_id} created")
    return web.json_response({"id": order_id}, status=201)


async def create_order(request: web.Request) -> web.Response:
    order = await request.json()
    order_id = await db.save_order(request.app["db"], order)
    task = asyncio.create_task(notify_warehouse(order))
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)
    await record_audit(request, f"order {order_id} created")
    return web.json_response({"id": order_id}, status=201)
