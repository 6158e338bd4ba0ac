#!/usr/bin/env python3
"""Peer hop benchmark (issue 12; bench/README.md, "Peer hop"), on loopback, in one run:

Two clustered edges on one Redis, each with --peer-listen; one agent, connected to edge A only,
in front of nginx `return 200`. wrk drives ~1.5 KB webhooks (bench/webhook.lua) at the tunnel
(a) through edge A's public port (the owning edge, directly) and (b) through edge B's, which
forwards each request over the peer link to A (one TLS + HTTP/2 connection, B the client).
Prints req/s, p50/p99 and (b) as a percentage of (a). Target: >= 70%.

Environment: RELAY_BIN (required), BENCH_SECONDS (per wrk run, default 10), BENCH_NGINX_WORKERS
(1), BENCH_LOG_LEVEL (info, as in production).
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent / "tests" / "e2e"))

import baselines  # noqa: E402
from bench import SCENARIOS, fmt_row, run_wrk  # noqa: E402
from relay_harness import Agent, Edge, Pki, RedisServer, free_port, new_authtoken, wait_until  # noqa: E402

SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
NGINX_WORKERS = os.environ.get("BENCH_NGINX_WORKERS", "1")
LOG_LEVEL = os.environ.get("BENCH_LOG_LEVEL", "info")
SECRET = "bench-cluster-secret-0123456789abcdef"
WEBHOOKS = [s for s in SCENARIOS if s.script == "webhook.lua" and s.connections in (16, 64)]


def main() -> int:
    if not os.environ.get("RELAY_BIN"):
        print("bench: RELAY_BIN is not set", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load_before = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="relay-bench-peer-"))
    started: list = []
    rows = []
    redis = None
    try:
        nginx = baselines.Nginx(workdir, NGINX_WORKERS)
        started.append(nginx)
        redis = RedisServer(workdir / "redis")
        pki = Pki(workdir / "pki")
        token = new_authtoken()
        edges = {}
        for edge_id in ("a", "b"):
            extra = ["--cluster", redis.url, "--edge-id", f"edge-{edge_id}", "--cluster-secret",
                     "env:RELAY_BENCH_CLUSTER_SECRET", "--peer-listen", f"127.0.0.1:{free_port()}"]
            e = Edge(pki, token, workdir / "logs", extra=extra, env={"RELAY_BENCH_CLUSTER_SECRET": SECRET},
                     log_level=LOG_LEVEL)
            started.append(e)
            edges[edge_id] = e.wait_ready()
        agent = Agent(f"127.0.0.1:{nginx.port}", workdir / "logs", edge=edges["a"], url="bench", log_level=LOG_LEVEL)
        started.append(agent)
        agent.wait_ready()
        wait_until(lambda: redis.keys("relay:route:bench:*") == ["relay:route:bench:edge-a"], 10, "the route key")
        a, b = edges["a"], edges["b"]
        for scenario in WEBHOOKS:
            results = {}
            for label, edge in (("direct (edge A)", a), ("peer hop (B -> A)", b)):
                url = f"http://127.0.0.1:{edge.port}/hook"
                host = f"bench.{edge.domain}:{edge.port}"
                run_wrk(SCENARIOS[1], url, host, {}, 1)  # warm: connections, the peer link, caches
                watch = {"edge A": a.pid, "agent": agent.pid}
                if edge is b:
                    watch["edge B"] = b.pid
                r = run_wrk(scenario, url, host, watch, SECONDS)
                results[label] = r
                print(f"  {scenario.name} {label}: {r.rps:,.0f} req/s p50 {r.p50_ms:.2f} ms "
                      f"p99 {r.p99_ms:.2f} ms errors {r.errors}", file=sys.stderr)
            direct = results["direct (edge A)"].rps
            for label, r in results.items():
                share = f"{100 * r.rps / direct:.0f}%" if direct else "-"
                cpu = ", ".join(f"{k} {10_000 * v / max(r.requests, 1):.2f}" for k, v in r.cpu_s.items())
                rows.append([scenario.name, label, f"{r.rps:,.0f}", share, f"{r.p50_ms:.2f}", f"{r.p99_ms:.2f}",
                             str(r.errors), cpu])
        for p in started:
            if hasattr(p, "running") and not p.running():
                raise RuntimeError(f"{p} exited:\n{p.tail()}")
    finally:
        for p in reversed(started):
            p.stop()
        if redis:
            redis.kill()

    header = ["scenario", "path", "req/s", "% direct", "p50 ms", "p99 ms", "errors", "CPU s / 10k req"]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    version = os.popen(f"{os.environ['RELAY_BIN']} --version").read().strip()
    lines = [
        f"relay peer hop bench  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  {version}  {os.cpu_count()} CPUs  "
        f"{SECONDS}s per run  nginx workers={NGINX_WORKERS}  log level {LOG_LEVEL}",
        f"load average (1 min) before {load_before:.1f}, after {os.getloadavg()[0]:.1f}",
        "direct: wrk -> edge A -> TLS+HTTP/2 -> agent -> nginx; peer hop: wrk -> edge B -> peer link "
        "(TLS+HTTP/2) -> edge A -> agent -> nginx. Target: peer hop >= 70% of direct",
        "",
        fmt_row(header, widths),
        fmt_row(["-" * w for w in widths], widths),
        *(fmt_row(row, widths) for row in rows),
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    out = BENCH_DIR / "results"
    out.mkdir(exist_ok=True)
    (out / "peer_hop.txt").write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
