"""bench:trace (a) for gevent: 2,000 greenlets, each calling gevent.sleep(0) 100 times."""
from gevent import monkey

monkey.patch_all()

import gevent  # noqa: E402

GREENLETS = 2000
STEPS = 100


def worker():
    for _ in range(STEPS):
        gevent.sleep(0)


gevent.joinall([gevent.spawn(worker) for _ in range(GREENLETS)])
