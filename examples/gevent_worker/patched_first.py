"""The link checker with the patch where gevent needs it: before every other import.

corolint still reports the patch itself (monkey-patch), because patching changes
the standard library for every module in the process; here that is intended.
"""
from gevent import monkey

monkey.patch_all()  # monkey-patch: deliberate here, and first, as gevent needs

import logging

import gevent
import requests
from gevent.pool import Pool

log = logging.getLogger("linkcheck")
results: dict[str, int] = {}


def check(url: str) -> None:
    response = requests.head(url, timeout=10, allow_redirects=True)
    results[url] = response.status_code


def report_progress(interval: float) -> None:
    while True:
        log.info("checked %d URLs", len(results))
        gevent.sleep(interval)


def main(urls: list[str]) -> dict[str, int]:
    reporter = gevent.spawn(report_progress, 5.0)
    Pool(20).map(check, urls)
    reporter.kill()
    return results
