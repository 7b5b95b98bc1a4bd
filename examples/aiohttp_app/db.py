"""Database access through aiosqlite; only the one-off schema set-up uses sqlite3 directly."""
import sqlite3

import aiosqlite

DB_PATH = "inventory.db"
SCHEMA = """
CREATE TABLE IF NOT EXISTS items (sku TEXT PRIMARY KEY, name TEXT, price INTEGER);
CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, sku TEXT, quantity INTEGER);
CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY, remote TEXT, event TEXT);
"""


async def connect(path: str = DB_PATH) -> aiosqlite.Connection:
    return await aiosqlite.connect(path)


async def fetch_item(conn: aiosqlite.Connection, sku: str) -> dict:
    async with conn.execute("SELECT sku, name, price FROM items WHERE sku = ?", (sku,)) as cursor:
        sku, name, price = await cursor.fetchone()
    return {"sku": sku, "name": name, "price": price}


async def load_prices(conn: aiosqlite.Connection) -> dict:
    async with conn.execute("SELECT sku, price FROM items") as cursor:
        return {sku: price async for sku, price in cursor}


async def save_order(conn: aiosqlite.Connection, order: dict) -> int:
    cursor = await conn.execute("INSERT INTO orders (sku, quantity) VALUES (?, ?)", (order["sku"], order["quantity"]))
    await conn.commit()
    return cursor.lastrowid


async def save_audit_entry(conn: aiosqlite.Connection, remote: str, event: str) -> None:
    await conn.execute("INSERT INTO audit (remote, event) VALUES (?, ?)", (remote, event))
    await conn.commit()


async def create_schema(path: str = DB_PATH) -> None:
    # Runs once from on_startup, before the server accepts its first request.
    with sqlite3.connect(path) as conn:  # corolint: ignore[blocking-call] start-up only, no request is waiting yet
        conn.executescript(SCHEMA)
