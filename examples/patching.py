"""Start-up hacks collected from notebooks and test harnesses.

Each one changes the standard library (or asyncio itself) for every module in the
process, not just for the code that asked for it.
"""
import asyncio
import socket
import ssl

import nest_asyncio

# monkey-patch: lets asyncio.run() nest inside a running loop by rewriting asyncio's internals.
nest_asyncio.apply()


class TimedSocket(socket.socket):
    """A socket that records how long each connect takes."""

    def connect(self, address):
        started = asyncio.get_event_loop().time()
        super().connect(address)
        self.connect_seconds = asyncio.get_event_loop().time() - started


# monkey-patch: every library in the process now gets TimedSocket.
socket.socket = TimedSocket


def _wrap_without_verification(sock, *args, **kwargs):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context.wrap_socket(sock, *args, **kwargs)


# monkey-patch: silently turns certificate checks off for everyone.
setattr(ssl, "wrap_socket", _wrap_without_verification)


# Instead: keep the change local. Build the context you need and pass it to the one
# client that needs it, and use `await` rather than nesting event loops.
def internal_tls_context(ca_file: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_file)


async def open_internal_connection(host: str, port: int, ca_file: str):
    return await asyncio.open_connection(host, port, ssl=internal_tls_context(ca_file))
