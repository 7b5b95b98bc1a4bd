"""bench:trace (b) for trio: a loopback echo server (trio.serve_tcp) — 50 clients, 400 round trips each."""
import trio

CLIENTS = 50
ROUND_TRIPS = 400
MESSAGE = b"x" * 99 + b"\n"


async def echo(stream):
    buffered = b""
    while True:
        data = await stream.receive_some(65536)
        if not data:
            return
        buffered += data
        *lines, buffered = buffered.split(b"\n")
        if lines:
            await stream.send_all(b"".join(line + b"\n" for line in lines))


async def client(port):
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    for _ in range(ROUND_TRIPS):
        await stream.send_all(MESSAGE)
        received = b""
        while not received.endswith(b"\n"):
            received += await stream.receive_some(65536)
        assert received == MESSAGE
    await stream.aclose()


async def main():
    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(trio.serve_tcp, echo, 0, )
        port = listeners[0].socket.getsockname()[1]
        async with trio.open_nursery() as clients:
            for _ in range(CLIENTS):
                clients.start_soon(client, port)
        nursery.cancel_scope.cancel()


trio.run(main)
