"""Cluster, the durable queue (issue 12, docs/cluster.md): with --cluster every edge's delivery
queue and buffer policies are one Redis's (a Stream and consumer group per tunnel). A webhook
queued at any edge is delivered, once, by the edge that holds the agent; deliveries a killed
edge had leased are taken over by another after the lease (XAUTOCLAIM); dedupe holds across
edges; without Redis a buffered tunnel answers 503 + Retry-After, never "queued".
Before this, each edge queued in its own SQLite: what edge B queued waited for an agent on B."""

from __future__ import annotations

import os
import threading
import time

from relay_harness import Edge, wait_until
# The scripted app, public requests and queued answers of the delivery tests.
from test_delivery_drain import apps, post, queued_id, start_agent  # noqa: F401

SANITIZED = bool(os.environ.get("RELAY_SANITIZED"))
SECRET_ENV = {"RELAY_TEST_CLUSTER_SECRET": "0123456789abcdef0123456789abcdef"}
# The edges' response_timeout: a delivery's lease is it + stream_wait (3 s) + 30 s.
RESPONSE_TIMEOUT_S = 2
LEASE_S = RESPONSE_TIMEOUT_S + 3 + 30


def cluster_edge(relay, redis_server, edge_id: str) -> Edge:
    relay.dir.mkdir(parents=True, exist_ok=True)
    config = relay.dir / f"edge-{edge_id}.yml"
    config.write_text(f"limits:\n  response_timeout: {RESPONSE_TIMEOUT_S}s\n")
    args = ["--cluster", redis_server.url, "--edge-id", edge_id, "--cluster-secret",
            "env:RELAY_TEST_CLUSTER_SECRET", "--config", str(config)]
    e = Edge(relay.pki, relay.authtoken, relay.dir, extra=args, env=SECRET_ENV)
    relay.processes.append(e)
    return e.wait_ready()


def wait_policy_everywhere(redis_server, name: str) -> None:
    """The bind's policy is in Redis; the other edges read it within their 2 s refresh."""
    wait_until(lambda: redis_server.cli("HGET", "relay:policies", name).strip(), 10,
               f"{name}'s buffer policy in Redis")
    time.sleep(2.6)


def away(agent, edge) -> None:
    agent.kill()
    edge.wait_for_output(r"agent disconnected", timeout=15)


def hook_away_from_two_edges(relay, redis_server, apps):
    """Edges A and B of one cluster and an app whose agent bound `hook` buffered (`offline`) on
    edge A, shared its policy with B, and went away: (edge_a, edge_b, app)."""
    edge_a = cluster_edge(relay, redis_server, "edge-a")
    edge_b = cluster_edge(relay, redis_server, "edge-b")
    app = apps()
    agent = start_agent(relay, edge_a, app, "offline")
    wait_policy_everywhere(redis_server, "hook")
    away(agent, edge_a)
    return edge_a, edge_b, app


def by_delivery_id(seen) -> dict[str, list]:
    out: dict[str, list] = {}
    for s in seen:
        out.setdefault(s.header("Relay-Delivery-Id"), []).append(s)
    return out


def test_queued_at_edge_b_delivered_once_by_edge_a_which_holds_the_agent(relay, redis_server, apps):
    edge_a, edge_b, app = hook_away_from_two_edges(relay, redis_server, apps)

    count = 12 if SANITIZED else 30
    sent: dict[str, bytes] = {}
    for i in range(count):
        body = b'{"at":"b","n":%d}' % i
        sent[queued_id(post(edge_b, "hook", f"/q/{i}", body))] = body  # edge B never saw the agent
    for i in range(count, count + 3):
        body = b'{"at":"a","n":%d}' % i
        sent[queued_id(post(edge_a, "hook", f"/q/{i}", body))] = body
    assert len(sent) == count + 3  # one id each, from one sequence
    assert not app.requests(), "nothing may reach the app while its agent is away"

    start_agent(relay, edge_a, app, "offline")  # the agent comes back, to edge A only
    app.wait_for("/q/", count + 3, timeout=30)
    time.sleep(1.5)  # stragglers (exactly once, below); edge A's worker has nothing left and ends
    # Appended by edge B while the agent is on edge A: edge B's append publishes the tunnel's
    # name on relay:q:wake, to which both edges are subscribed, and edge A delivers at once. Its
    # 500 ms poll alone took ~0.4 s; five in a row under 0.25 s would be luck for the poll
    # ((1/2)^5).
    assert redis_server.cli("PUBSUB", "NUMSUB", "relay:q:wake").split()[-1] == "2"
    late_times = []
    late_ids = []
    for i in range(5):
        started = time.monotonic()
        late_ids.append(queued_id(post(edge_b, "hook", f"/late/{i}", b'{"late":%d}' % i)))
        app.wait_for(f"/late/{i}", 1, timeout=10)
        late_times.append(time.monotonic() - started)
        time.sleep(0.3)  # the worker on edge A goes idle again
    print("webhooks queued at edge B reached the app through edge A after "
          + ", ".join(f"{t:.3f}" for t in late_times) + " s")
    assert max(late_times) < (3.0 if SANITIZED else 0.25), late_times
    assert [s.header("Relay-Delivery-Id") for s in app.requests("/late/")] == late_ids

    delivered = by_delivery_id(app.requests("/q/"))
    assert {k: [s.body for s in v] for k, v in delivered.items()} == {k: [v] for k, v in sent.items()}
    assert all(v[0].header("Relay-Delivery-Attempt") == "1" for v in delivered.values())
    # Delivered by edge A (the agent's), recorded in the one queue. Edge A logs a delivery once the
    # agent's answer is back, a moment after the app saw the request: wait for the last line.
    wait_until(
        lambda: len([r for r in edge_a.log_records() if r.get("msg") == "delivered"]) >= count + 8,
        10,
        "edge A to log every delivery",
    )
    assert not [r for r in edge_b.log_records() if r.get("msg") == "delivered"]


def test_the_same_event_at_two_edges_is_delivered_once(relay, redis_server, apps):
    edge_a, edge_b, app = hook_away_from_two_edges(relay, redis_server, apps)

    headers = {"TokPortal-Event-Id": "evt_cluster_1"}
    first = queued_id(post(edge_a, "hook", "/evt", b'{"id":1}', headers))
    again = post(edge_b, "hook", "/evt", b'{"id":1}', headers)  # the provider's retry lands on B
    assert queued_id(again) == first
    assert again.json().get("duplicate") is True, again
    other = queued_id(post(edge_b, "hook", "/evt", b'{"id":2}', {"TokPortal-Event-Id": "evt_cluster_2"}))
    assert other != first

    start_agent(relay, edge_a, app, "offline")
    app.wait_for("/evt", 2, timeout=30)
    time.sleep(1.5)
    assert sorted(by_delivery_id(app.requests("/evt"))) == sorted([first, other])
    assert len(app.requests("/evt")) == 2


def test_a_killed_edges_leased_deliveries_are_redelivered_by_another_edge(relay, redis_server, apps):
    gate = threading.Event()

    def script(seen, earlier):
        if earlier == 0:
            gate.wait(60)  # the first attempt hangs: edge A holds the lease when it dies
        return 200, {}, b"ok\n"

    edge_a = cluster_edge(relay, redis_server, "edge-a")
    edge_b = cluster_edge(relay, redis_server, "edge-b")
    app = apps(script=script)
    agent = start_agent(relay, edge_a, app, "always")
    count = 3
    sent = {}
    for i in range(count):
        body = b'{"lease":%d}' % i
        sent[queued_id(post(edge_a, "hook", f"/lease/{i}", body))] = body
    app.wait_for("/lease/", 1, timeout=5)
    edge_a.kill()  # SIGKILL with deliveries in flight: nobody acks them
    killed_at = time.monotonic()
    agent.kill()
    time.sleep(0.3)
    # What reached the app before its agent died (recorded before the gate): each comes again.
    in_flight = set(by_delivery_id(app.requests("/lease/")))
    gate.set()
    pending = redis_server.cli("XPENDING", "relay:q:hook", "edges").split()
    assert pending and int(pending[0]) >= len(in_flight) and "edge-a" in pending, pending

    start_agent(relay, edge_b, app, "always")  # the agent reconnects, to edge B
    got = app.wait_for("/lease/", count + len(in_flight), timeout=LEASE_S + 30)
    took = time.monotonic() - killed_at
    print(f"edge B redelivered the {len(in_flight)} deliveries edge A had at the app {took:.1f} s "
          f"after its kill -9 (lease {LEASE_S} s)")
    assert took >= LEASE_S - 5, took  # not before the lease ran out
    time.sleep(1.5)
    delivered = by_delivery_id(app.requests("/lease/"))
    assert set(delivered) == set(sent)  # none lost
    for delivery_id, seen in delivered.items():
        times = 2 if delivery_id in in_flight else 1
        assert [s.body for s in seen] == [sent[delivery_id]] * times, delivery_id
        if delivery_id in in_flight:
            assert seen[1].header("Relay-Delivery-Attempt") == "2"
    wait_until(lambda: len([r for r in edge_b.log_records() if r.get("msg") == "delivered"]) >= count,
               10, "edge B's 'delivered' lines")
    assert redis_server.cli("XPENDING", "relay:q:hook", "edges").split()[0] == "0"


def test_redis_down_buffered_answers_503_retry_after_never_queued(relay, redis_server, apps):
    edge = cluster_edge(relay, redis_server, "edge-a")
    app = apps()
    agent = start_agent(relay, edge, app, "offline")
    wait_until(lambda: redis_server.cli("HGET", "relay:policies", "hook").strip(), 10, "the policy in Redis")

    redis_server.kill()
    edge.wait_for_output(r'msg="?redis unavailable', timeout=10)
    live = post(edge, "hook", "/live", b'{"live":1}')  # the agent is here: live, Redis or not
    assert live.status == 200 and live.body == b"ok\n", live
    app.wait_for("/live", 1, timeout=5)

    away(agent, edge)
    answers = [post(edge, "hook", f"/down/{i}", b'{"down":%d}' % i) for i in range(5)]
    for a in answers:
        assert a.status == 503, a
        assert a.header("Retry-After"), a
        assert a.header("Relay-Error-Code") == "RELAY_QUEUE_UNAVAILABLE", a
        assert b'"queued"' not in a.body, a
    assert not [r for r in edge.log_records() if r.get("msg") == "request queued"]

    redis_server.start()
    edge.wait_for_output(r'msg="?redis available again', timeout=15)
    back = queued_id(post(edge, "hook", "/back", b'{"back":1}'))
    start_agent(relay, edge, app, "offline")
    got = app.wait_for("/back", 1, timeout=20)
    assert got[0].header("Relay-Delivery-Id") == back
    assert not app.requests("/down/"), "a webhook answered 503 was delivered"
