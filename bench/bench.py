#!/usr/bin/env python3
"""relay benchmark: nginx `return 200` app, driven by wrk directly and through relay edge+agent
(TLS, throwaway CA, authtoken) on loopback, in one run. Started by bench/run.sh; see README.md.

Environment: RELAY_BIN (the binary), BENCH_SECONDS (per run, default 10), BENCH_NGINX_WORKERS
(default 1), BENCH_AGENT_ARGS (extra `relay http` flags), BENCH_LOG_LEVEL (default info),
BENCH_INSPECT=1 (keep the agent's inspector on; default off).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
SOURCE_DIR = BENCH_DIR.parent
sys.path.insert(0, str(SOURCE_DIR / "tests" / "e2e"))

from relay_harness import (Agent, Edge, Pki, free_port, is_listening, new_authtoken,  # noqa: E402
                           proc_cpu_seconds, proc_memory_kib, wait_until)

SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
NGINX_WORKERS = os.environ.get("BENCH_NGINX_WORKERS", "1")
INSPECT = os.environ.get("BENCH_INSPECT", "0") == "1"
MiB = 1 << 20


@dataclass
class Scenario:
    name: str
    script: str
    connections: int
    threads: int
    upload: bool = False


SCENARIOS = [
    Scenario("webhook c=1", "webhook.lua", 1, 1),
    Scenario("webhook c=16", "webhook.lua", 16, 2),
    Scenario("webhook c=64", "webhook.lua", 64, 2),
    Scenario("upload 1MiB c=4", "upload.lua", 4, 2, upload=True),
]


@dataclass
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    body_bytes: int
    rss_kib: dict
    cpu_s: dict

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


class Nginx:
    """nginx with its own config and prefix in `workdir`, in the foreground (daemon off), stopped by PID."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.dir = workdir / "nginx"
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        d = self.dir
        conf = d / "nginx.conf"
        conf.write_text(f"""
daemon off;
worker_processes {NGINX_WORKERS};
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 75s;
  server {{
    listen 127.0.0.1:{self.port} reuseport;
    location / {{ return 200 "ok\\n"; }}
    location /upload {{
      client_max_body_size 2m;
      client_body_buffer_size 2m;
      return 200 "ok\\n";
    }}
  }}
}}
""")
        self.log = open(d / "stderr.log", "wb")
        self.proc = subprocess.Popen(["nginx", "-e", str(d / "error.log"), "-p", str(d), "-c", str(conf)],
                                     stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        wait_until(lambda: is_listening(self.port) or self.proc.poll() is not None, 10, "nginx to listen")
        if self.proc.poll() is not None:
            raise RuntimeError(f"nginx failed to start: {(d / 'stderr.log').read_text()}{(d / 'error.log').read_text()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: the master stops its workers
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log.close()


def reset_peak_rss(pid: int) -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS, so each scenario gets its own peak.
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def run_wrk(scenario: Scenario, url: str, host: str | None, watch: dict[str, int], seconds: int) -> Result:
    env = dict(os.environ)
    env["BENCH_HOST"] = host or ""
    for pid in watch.values():
        reset_peak_rss(pid)
    cpu_before = {role: proc_cpu_seconds(pid) for role, pid in watch.items()}
    argv = ["wrk", "-t", str(scenario.threads), "-c", str(scenario.connections), "-d", f"{seconds}s",
            "--timeout", "5s", "--latency", "-s", str(BENCH_DIR / scenario.script), url]
    r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=seconds + 60)
    cpu = {role: proc_cpu_seconds(pid) - cpu_before[role] for role, pid in watch.items()}
    rss = {role: proc_memory_kib(pid)["VmHWM"] for role, pid in watch.items()}
    m = re.search(r"^RESULT (.*)$", r.stdout, re.M)
    if r.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed ({r.returncode}): {shlex.join(argv)}\n{r.stdout}\n{r.stderr}")
    f = {k: int(v) for k, v in (kv.split("=") for kv in m[1].split())}
    return Result(f["requests"], f["duration_us"] / 1e6, f["p50_us"] / 1000, f["p99_us"] / 1000,
                  f["status_errors"] + f["socket_errors"], f["body_bytes"], rss, cpu)


def fmt_row(cells, widths):
    return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))


def main() -> int:
    relay = os.environ.get("RELAY_BIN")
    if not relay:
        print("bench: RELAY_BIN is not set (bench/run.sh sets it)", file=sys.stderr)
        return 2
    # On timeout(1)'s SIGTERM, unwind so the finally below stops nginx, edge and agent.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load_before = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="relay-bench-"))
    started: list = []
    rows = []
    try:
        nginx = Nginx(workdir)
        started.append(nginx)
        pki = Pki(workdir / "pki")
        token = new_authtoken()
        log_level = os.environ.get("BENCH_LOG_LEVEL", "info")
        edge = Edge(pki, token, workdir / "logs", log_level=log_level)
        started.append(edge)
        edge.wait_ready()
        extra = shlex.split(os.environ.get("BENCH_AGENT_ARGS", ""))
        agent = Agent(f"127.0.0.1:{nginx.port}", workdir / "logs", edge=edge, url="bench", extra=extra,
                      log_level=log_level, inspect=INSPECT)
        started.append(agent)
        agent.wait_ready()
        tunnel = agent.tunnel
        watch = {"edge": edge.pid, "agent": agent.pid}
        direct_url = f"http://127.0.0.1:{nginx.port}/hook"
        relay_url = f"http://127.0.0.1:{edge.port}/hook"
        relay_host = f"{tunnel.host}:{tunnel.port}"

        # Sanity: both paths answer 200 before we measure.
        for url, host in ((direct_url, None), (relay_url, relay_host)):
            h = ["-H", f"Host: {host}"] if host else []
            code = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", *h,
                                   "-d", "{}", url], capture_output=True, text=True).stdout
            if code != "200":
                raise RuntimeError(f"{url} (Host {host}) answered {code!r}, not 200; agent log:\n{agent.tail()}")
        # Warm-up: connections, pools, page cache.
        run_wrk(SCENARIOS[1], relay_url, relay_host, watch, 1)
        run_wrk(SCENARIOS[1], direct_url, None, watch, 1)

        for s in SCENARIOS:
            direct = run_wrk(s, direct_url, None, watch, SECONDS)
            through = run_wrk(s, relay_url, relay_host, watch, SECONDS)
            rows.append((s, direct, through))
            print(f"  {s.name}: direct {direct.rps:,.0f} req/s, relay {through.rps:,.0f} req/s", file=sys.stderr)
            for p in (edge, agent):
                if not p.running():
                    raise RuntimeError(f"{p.role} exited during '{s.name}':\n{p.tail()}")
    finally:
        for p in reversed(started):
            p.stop()

    header = ["scenario", "target", "req/s", "% direct", "p50 ms", "p99 ms", "errors", "MiB/s",
              "edge RSS MiB", "agent RSS MiB", "edge CPU s/10k", "agent CPU s/10k"]
    table = []
    for s, direct, through in rows:
        for target, r in (("direct", direct), ("relay", through)):
            mibs = f"{r.rps * r.body_bytes / MiB:,.0f}" if s.upload else "-"
            pct = f"{100 * r.rps / direct.rps:.0f}%" if direct.rps else "-"
            if target == "relay":
                rss = [f"{r.rss_kib['edge'] / 1024:.1f}", f"{r.rss_kib['agent'] / 1024:.1f}"]
                cpu = [f"{r.cpu_s[k] / r.requests * 10_000:.2f}" if r.requests else "-" for k in ("edge", "agent")]
            else:
                rss, cpu = ["-", "-"], ["-", "-"]
            table.append([s.name, target, f"{r.rps:,.0f}", pct, f"{r.p50_ms:.3f}", f"{r.p99_ms:.3f}", r.errors, mibs,
                          *rss, *cpu])
    widths = [max(len(str(row[i])) for row in [header, *table]) for i in range(len(header))]
    version = subprocess.run([relay, "--version"], capture_output=True, text=True).stdout.strip()
    lines = [
        f"relay bench  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  {version}  {os.cpu_count()} CPUs  "
        f"{SECONDS}s per run  nginx workers={NGINX_WORKERS}  wrk threads 1 (c=1) / 2  "
        f"inspector {'on' if INSPECT else 'off'}  log level {os.environ.get('BENCH_LOG_LEVEL', 'info')}",
        f"load average (1 min) before {load_before:.1f}, after {os.getloadavg()[0]:.1f}: other work on the "
        "machine skews the numbers",
        "direct: wrk -> nginx 127.0.0.1; relay: wrk -> relay edge (HTTP) -> TLS+HTTP/2 -> relay http agent -> nginx",
        "errors = non-2xx/3xx + socket errors; RSS = peak (VmHWM) during that run; CPU = utime+stime per 10k requests",
        "",
        fmt_row(header, widths),
        fmt_row(["-" * w for w in widths], widths),
        *(fmt_row(row, widths) for row in table),
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    out = BENCH_DIR / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.txt").write_text(report)
    print(f"(also written to {out / 'latest.txt'}; logs in {workdir / 'logs'})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
