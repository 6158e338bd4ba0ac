"""Issue 2: many concurrent requests over one agent session; a slow request blocks no other."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from relay_harness import pattern_bytes


def test_sixty_concurrent_requests_over_one_session(relay, app, tunnel):
    n = 60
    barrier = threading.Barrier(n)

    def one(i):
        body = pattern_bytes(1000 + i * 37, seed=100 + i)
        barrier.wait(timeout=30)
        return i, body, tunnel.curl(f"/echo/c{i}", "--data-binary", "@-", input=body, timeout=60)

    with ThreadPoolExecutor(max_workers=n) as pool:
        results = list(pool.map(one, range(n)))
    for i, body, r in results:
        assert r.status == 200, (i, r)
        assert r.body == body, i
    assert len(app.requests_to("/echo/c")) == n
    assert sum(p.role == "agent" for p in relay.processes) == 1  # one agent, one session


def test_a_slow_request_does_not_block_others(tunnel):
    result = {}
    slow = threading.Thread(target=lambda: result.setdefault("r", tunnel.curl("/delay/10", timeout=30)), daemon=True)
    slow.start()
    time.sleep(0.5)  # let the slow one be in flight (its stream open) before the fast ones
    for i in range(5):
        r = tunnel.curl(f"/fast/{i}")
        assert r.status == 200, r
    # Not an absolute time (curl alone can take 0.5 s on a loaded machine): the fast requests
    # must all be done while the slow one is still waiting for its app.
    assert slow.is_alive(), "the fast requests only finished after the slow one: head-of-line blocking"
    slow.join(timeout=30)
    assert result["r"].status == 200, result["r"]
