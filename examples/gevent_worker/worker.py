"""Link checker: fetches a list of URLs on greenlets and tallies the results.

This version patches too late: requests, ssl and threading are imported before
patch_all(), so they keep the blocking socket, ssl and lock objects they bound
at import time. See patched_first.py for the order gevent needs.
"""
import logging
import ssl
import threading

import requests

from gevent import monkey

# late-monkey-patch, monkey-patch: the imports above already hold unpatched objects.
monkey.patch_all()

import gevent
from gevent.pool import Pool

log = logging.getLogger("linkcheck")
results: dict[str, int] = {}
stats = {"checked": 0}
stats_lock = threading.Lock()
tls = ssl.create_default_context()


def check(url: str) -> None:
    response = requests.head(url, timeout=10, allow_redirects=True)
    results[url] = response.status_code


def tally_spinning() -> None:
    # non-yielding-loop: nothing in the body yields to the gevent hub, so once this
    # greenlet runs, no other greenlet (and no check) ever runs again.
    while True:
        with stats_lock:
            stats["checked"] = len(results)


def tally() -> None:
    while True:
        with stats_lock:
            stats["checked"] = len(results)
        # Yield to the hub on every pass so the checks keep running.
        gevent.sleep(0)


def main(urls: list[str]) -> dict[str, int]:
    pool = Pool(20)
    gevent.spawn(tally_spinning)
    gevent.spawn(tally)
    pool.map(check, urls)
    log.info("checked %d URLs", stats["checked"])
    return results
