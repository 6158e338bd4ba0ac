#!/usr/bin/env python3
"""Durable delivery benchmark (issue 11; bench/README.md, "Durable delivery"), on loopback:

1. drain: an agent with `--buffer` binds `drain` and is killed; wrk queues a backlog of ~1.5 KB
   webhooks at the edge (--state-dir: SQLite, each answer after its fsync); the agent comes back
   and the edge delivers the backlog to a fast app (nginx `return 200`). Drain rate = deliveries
   per second between the first and the last "delivered" line of the edge's log.
2. always vs live, same run: wrk at 64 connections against a tunnel with `--buffer always`
   (every request stored durably and answered at once, then delivered in the background) and
   against an unbuffered tunnel of the same edge: accepts/s, p50/p99.

Environment: RELAY_BIN (required), BENCH_SECONDS (per wrk run, default 10), BENCH_FILL_SECONDS
(how long wrk fills the backlog, default 5), BENCH_NGINX_WORKERS (1), BENCH_LOG_LEVEL (info: the
drain is measured from the log's "delivered" lines, so not below info).
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent / "tests" / "e2e"))

import baselines  # noqa: E402
from bench import SCENARIOS, fmt_row, run_wrk  # noqa: E402
from relay_harness import Agent, Edge, Pki, new_authtoken, parse_logfmt, proc_cpu_times  # noqa: E402

SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
FILL_SECONDS = int(os.environ.get("BENCH_FILL_SECONDS", "5"))
NGINX_WORKERS = os.environ.get("BENCH_NGINX_WORKERS", "1")
LOG_LEVEL = os.environ.get("BENCH_LOG_LEVEL", "info")
C64 = next(s for s in SCENARIOS if s.name == "webhook c=64")


def log_time(record: dict) -> float:
    return datetime.strptime(record["t"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


def delivered_lines(edge: Edge, tunnel: str) -> list[dict]:
    out = []
    with open(edge.log_path, errors="replace") as f:
        for line in f:
            if "msg=delivered" in line and f"tunnel={tunnel}" in line:
                out.append(parse_logfmt(line))
    return out


def wait_drained(edge: Edge, tunnel: str, count: int, timeout: float) -> list[dict]:
    deadline = time.monotonic() + timeout
    lines: list[dict] = []
    while time.monotonic() < deadline:
        lines = delivered_lines(edge, tunnel)
        if len(lines) >= count:
            return lines
        time.sleep(0.25)
    raise RuntimeError(f"only {len(lines)} of {count} deliveries in {timeout:.0f} s:\n{edge.tail()}")


def main() -> int:
    if not os.environ.get("RELAY_BIN"):
        print("bench: RELAY_BIN is not set", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load_before = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="relay-bench-durable-"))
    started: list = []
    lines: list[str] = []
    try:
        nginx = baselines.Nginx(workdir, NGINX_WORKERS)
        started.append(nginx)
        pki = Pki(workdir / "pki")
        token = new_authtoken()
        edge = Edge(pki, token, workdir / "logs", state_dir=workdir / "state", log_level=LOG_LEVEL)
        started.append(edge)
        edge.wait_ready()
        upstream = f"127.0.0.1:{nginx.port}"
        host = lambda name: f"{name}.{edge.domain}:{edge.port}"  # noqa: E731
        url = f"http://127.0.0.1:{edge.port}/hook"
        drain_args = ["--buffer", "--buffer-concurrency", "64", "--buffer-max", "10000000"]

        # 1. The backlog, queued while the agent is away, then drained.
        agent = Agent(upstream, workdir / "logs", edge=edge, url="drain", extra=drain_args, log_level=LOG_LEVEL)
        started.append(agent)
        agent.wait_ready()
        agent.kill()  # its policy stays with the name (the authtoken owns it)
        fill = run_wrk(C64, url, host("drain"), {"edge": edge.pid}, FILL_SECONDS)
        queued = fill.requests - fill.errors
        print(f"  backlog: {queued:,} queued in {fill.seconds:.1f} s ({queued / fill.seconds:,.0f}/s, "
              f"p99 {fill.p99_ms:.1f} ms, {fill.errors} errors)", file=sys.stderr)
        agent = Agent(upstream, workdir / "logs", edge=edge, url="drain", extra=drain_args, log_level=LOG_LEVEL)
        started.append(agent)
        agent.wait_ready()
        cpu_before = {"edge": proc_cpu_times(edge.pid), "agent": proc_cpu_times(agent.pid)}
        drained = wait_drained(edge, "drain", queued, timeout=max(120.0, queued / 500))
        drain_cpu = {k: sum(proc_cpu_times(p.pid)) - sum(cpu_before[k])
                     for k, p in (("edge", edge), ("agent", agent))}
        span = log_time(drained[-1]) - log_time(drained[0])
        drain_rate = (len(drained) - 1) / span if span > 0 else float("inf")
        print(f"  drain: {len(drained):,} in {span:.2f} s = {drain_rate:,.0f} deliveries/s; CPU s edge "
              f"{drain_cpu['edge']:.2f} agent {drain_cpu['agent']:.2f}", file=sys.stderr)

        # 2. `always` and an unbuffered tunnel of the same edge, one after the other.
        always = Agent(upstream, workdir / "logs", edge=edge, url="always",
                       extra=["--buffer", "always", "--buffer-concurrency", "64", "--buffer-max", "10000000"],
                       log_level=LOG_LEVEL)
        live = Agent(upstream, workdir / "logs", edge=edge, url="live", log_level=LOG_LEVEL)
        started += [always, live]
        always.wait_ready()
        live.wait_ready()
        for name in ("always", "live"):  # warm connections and the store
            run_wrk(SCENARIOS[1], url, host(name), {}, 1)
        results = {}
        for name, proc in (("live", live), ("always", always)):
            results[name] = run_wrk(C64, url, host(name), {"edge": edge.pid, "agent": proc.pid}, SECONDS)
            r = results[name]
            print(f"  {name}: {r.rps:,.0f} req/s p99 {r.p99_ms:.1f} ms errors {r.errors}", file=sys.stderr)
        for p in (edge, agent, always, live):
            if not p.running():
                raise RuntimeError(f"{p.role} exited:\n{p.tail()}")
    finally:
        for p in reversed(started):
            p.stop()

    live_r, always_r = results["live"], results["always"]
    header = ["measure", "value", "target"]
    table = [
        ["backlog queued (wrk c=64, agent away)", f"{queued:,} in {fill.seconds:.1f} s = {queued / fill.seconds:,.0f}/s", "-"],
        ["drain to nginx (concurrency 64)", f"{drain_rate:,.0f} deliveries/s", ">= 5,000/s"],
        ["drain CPU per 1k deliveries (edge / agent)",
         f"{1000 * drain_cpu['edge'] / len(drained):.3f} s / {1000 * drain_cpu['agent'] / len(drained):.3f} s", "-"],
        ["live tunnel c=64", f"{live_r.rps:,.0f} req/s, p50 {live_r.p50_ms:.2f} ms, p99 {live_r.p99_ms:.2f} ms", "-"],
        ["always c=64 (durable accepts)", f"{always_r.rps:,.0f} req/s, p50 {always_r.p50_ms:.2f} ms, "
         f"p99 {always_r.p99_ms:.2f} ms", ">= 10,000/s, p99 <= 20 ms"],
        ["always / live", f"{100 * always_r.rps / live_r.rps:.0f}%" if live_r.rps else "-", ">= 50%"],
        ["errors (always, live)", f"{always_r.errors}, {live_r.errors}", "0"],
    ]
    widths = [max(len(str(row[i])) for row in [header, *table]) for i in range(len(header))]
    version = os.popen(f"{os.environ['RELAY_BIN']} --version").read().strip()
    lines = [
        f"relay durable delivery bench  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  {version}  {os.cpu_count()} CPUs  "
        f"{SECONDS}s per run, backlog filled for {FILL_SECONDS}s  nginx workers={NGINX_WORKERS}  log level {LOG_LEVEL}",
        f"load average (1 min) before {load_before:.1f}, after {os.getloadavg()[0]:.1f}",
        "edge --state-dir (SQLite); wrk -> edge -> (store) -> TLS+HTTP/2 -> agent -> nginx `return 200`",
        "",
        fmt_row(header, widths),
        fmt_row(["-" * w for w in widths], widths),
        *(fmt_row(row, widths) for row in table),
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    out = BENCH_DIR / "results"
    out.mkdir(exist_ok=True)
    (out / "durable_delivery.txt").write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
