"""bench:trace (b) for gevent: a loopback echo server (gevent.server.StreamServer) — 50 clients, 400 round trips each."""
from gevent import monkey

monkey.patch_all()

import socket  # noqa: E402

import gevent  # noqa: E402
from gevent.server import StreamServer  # noqa: E402

CLIENTS = 50
ROUND_TRIPS = 400
MESSAGE = b"x" * 99 + b"\n"


def echo(sock, _address):
    reader = sock.makefile("rb")
    for line in reader:
        sock.sendall(line)


def client(port):
    sock = socket.create_connection(("127.0.0.1", port))
    reader = sock.makefile("rb")
    for _ in range(ROUND_TRIPS):
        sock.sendall(MESSAGE)
        assert reader.readline() == MESSAGE
    sock.close()


server = StreamServer(("127.0.0.1", 0), echo)
server.start()
gevent.joinall([gevent.spawn(client, server.server_port) for _ in range(CLIENTS)])
server.stop()
