"""bench:trace (b): a loopback TCP echo server under load — 50 clients, 400 round trips each."""
import asyncio

CLIENTS = 50
ROUND_TRIPS = 400
MESSAGE = b"x" * 99 + b"\n"


async def echo(reader, writer):
    while True:
        line = await reader.readline()
        if not line:
            break
        writer.write(line)
        await writer.drain()
    writer.close()


async def client(port):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(ROUND_TRIPS):
        writer.write(MESSAGE)
        await writer.drain()
        assert await reader.readline() == MESSAGE
    writer.close()
    await writer.wait_closed()


async def main():
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        await asyncio.gather(*(client(port) for _ in range(CLIENTS)))


asyncio.run(main())
