#!/usr/bin/env python3
"""relay benchmark: nginx `return 200` app, driven by wrk directly, through relay edge+agent
(TLS, throwaway CA, authtoken), and through two baselines (an nginx proxy hop, an `ssh -R`
tunnel) on loopback, in one run. Started by bench/run.sh; see README.md.

Environment: RELAY_BIN (the binary), BENCH_SECONDS (per run, default 10), BENCH_NGINX_WORKERS
(default 1), BENCH_AGENT_ARGS (extra `relay http` flags), BENCH_LOG_LEVEL (default info),
BENCH_INSPECT=1 (keep the agent's inspector on; default off), BENCH_ONLY (scenario name texts),
BENCH_BASELINES (default nginx,ssh; empty for none).
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

import baselines  # noqa: E402
from relay_harness import Agent, Edge, Pki, new_authtoken, proc_cpu_times, proc_memory_kib  # noqa: E402

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
# BENCH_ONLY="c=64": only the scenarios whose name contains one of these comma-separated texts.
ONLY = [t.strip() for t in os.environ.get("BENCH_ONLY", "").split(",") if t.strip()]


@dataclass
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    body_bytes: int
    rss_kib: dict
    private_kib: dict  # per watched process: the peak of RssAnon, sampled every 0.2 s
    cpu_split: dict  # per watched process: (utime, stime) in seconds
    machine: dict  # the whole machine's CPU during the run, from /proc/stat: user, sys, softirq, idle

    @property
    def cpu_s(self) -> dict:
        """Per watched process: utime + stime."""
        return {role: u + s for role, (u, s) in self.cpu_split.items()}

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def reset_peak_rss(pid: int) -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS, so each scenario gets its own peak.
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def machine_cpu() -> dict[str, float]:
    """Seconds of CPU time the whole machine spent so far, by kind (the first line of /proc/stat)."""
    tick = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as f:
        v = [int(x) / tick for x in f.readline().split()[1:8]]
    user, nice, system, idle, iowait, irq, softirq = v
    return {"user": user + nice, "sys": system + irq, "softirq": softirq, "idle": idle + iowait}


def run_wrk(scenario: Scenario, url: str, host: str | None, watch: dict[str, int], seconds: int) -> Result:
    env = dict(os.environ)
    env["BENCH_HOST"] = host or ""
    for pid in watch.values():
        reset_peak_rss(pid)
    cpu_before = {role: proc_cpu_times(pid) for role, pid in watch.items()}
    machine_before = machine_cpu()
    argv = ["wrk", "-t", str(scenario.threads), "-c", str(scenario.connections), "-d", f"{seconds}s",
            "--timeout", "5s", "--latency", "-s", str(BENCH_DIR / scenario.script), url]
    # RSS counts the shared libraries' and relay's own code pages too (~14 MiB of an idle edge);
    # RssAnon is what the process itself allocated. The kernel keeps no peak of it: sample it.
    private = {role: 0 for role in watch}
    wrk = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + seconds + 60
    while wrk.poll() is None and time.monotonic() < deadline:
        for role, pid in watch.items():
            try:
                private[role] = max(private[role], proc_memory_kib(pid).get("RssAnon", 0))
            except OSError:  # it exited; the caller reports that
                pass
        time.sleep(0.2)
    try:
        stdout, stderr = wrk.communicate(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        wrk.kill()
        stdout, stderr = wrk.communicate()
    r = subprocess.CompletedProcess(argv, wrk.returncode, stdout, stderr)
    machine = {k: v - machine_before[k] for k, v in machine_cpu().items()}
    split = {role: tuple(a - b for a, b in zip(proc_cpu_times(pid), cpu_before[role])) for role, pid in watch.items()}
    rss = {role: proc_memory_kib(pid)["VmHWM"] for role, pid in watch.items()}
    m = re.search(r"^RESULT (.*)$", r.stdout, re.M)
    if r.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed ({r.returncode}): {shlex.join(argv)}\n{r.stdout}\n{r.stderr}")
    f = {k: int(v) for k, v in (kv.split("=") for kv in m[1].split())}
    return Result(f["requests"], f["duration_us"] / 1e6, f["p50_us"] / 1000, f["p99_us"] / 1000,
                  f["status_errors"] + f["socket_errors"], f["body_bytes"], rss, private, split, machine)


def fmt_row(cells, widths):
    return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))


@dataclass
class Target:
    """One way to reach the app: its URL, the Host header to send, the processes to watch."""

    name: str
    url: str
    host: str | None
    watch: dict[str, int]


def check_answers(target: Target) -> None:
    h = ["-H", f"Host: {target.host}"] if target.host else []
    code = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", *h,
                           "-d", "{}", target.url], capture_output=True, text=True).stdout
    if code != "200":
        raise RuntimeError(f"{target.name}: {target.url} (Host {target.host}) answered {code!r}, not 200")


def start_baselines(workdir: Path, app_port: int, started: list) -> list[Target]:
    targets = []
    wanted = [w.strip() for w in os.environ.get("BENCH_BASELINES", "nginx,ssh").split(",")]
    if "nginx" in wanted:
        proxy = baselines.NginxProxy(workdir, app_port, NGINX_WORKERS)
        started.append(proxy)
        targets.append(Target(proxy.name, f"http://127.0.0.1:{proxy.port}/hook", None, proxy.pids))
    if "ssh" in wanted:
        if baselines.SSHD is None:
            print("bench: no sshd here, so no `ssh -R` baseline (apt-get install openssh-server for it)",
                  file=sys.stderr)
        else:
            try:
                tunnel = baselines.SshTunnel(workdir, app_port)
            except RuntimeError as e:
                print(f"bench: no `ssh -R` baseline this run: {e}", file=sys.stderr)
            else:
                started.append(tunnel)
                targets.append(Target(tunnel.name, f"http://127.0.0.1:{tunnel.port}/hook", None, tunnel.pids))
    return targets


# The scenario whose target (45% of direct) is set against the machine's whole CPU budget.
BUDGET_SCENARIO = "webhook c=64"
BUDGET_SHARE = 0.45


def cpu_breakdown(rows) -> list[str]:
    """Where one request's CPU time went at 64 connections, for each target: user and kernel time
    of each forwarding process, then the whole machine (every process, interrupts, idle), in µs per
    request. Then what the 45%-of-direct target leaves for relay's own code, measured the same way:
    the machine's CPUs divided by that request rate, less what this run's wrk, app and loopback
    softirq took, less relay's kernel time."""
    found = [(s, results) for s, results in rows if s.name == BUDGET_SCENARIO]
    if not found:
        return []
    _, results = found[0]

    def us(seconds: float, r: Result) -> float:
        return seconds * 1e6 / r.requests

    header = ["target", "req/s", "forwarding processes: user + kernel", "machine: user", "kernel", "softirq", "idle"]
    table = []
    for t, r in results:
        if not r.requests:
            continue
        procs = ", ".join(f"{k} {us(u, r):.1f} + {us(k_s, r):.1f}" for k, (u, k_s) in r.cpu_split.items()) or "-"
        m = r.machine
        table.append([t.name, f"{r.rps:,.0f}", procs, *(f"{us(m[k], r):.1f}" for k in ("user", "sys", "softirq", "idle"))])
    widths = [max(len(str(row[i])) for row in [header, *table]) for i in range(len(header))]
    out = ["", f"CPU per request, {BUDGET_SCENARIO} (µs; machine = all {os.cpu_count()} CPUs, every process):", "",
           fmt_row(header, widths), fmt_row(["-" * w for w in widths], widths), *(fmt_row(row, widths) for row in table)]
    direct = results[0][1]
    relay = next((r for t, r in results if t.name == "relay" and r.requests), None)
    if direct.requests and relay is not None:
        budget = (os.cpu_count() or 1) * 1e6 / (BUDGET_SHARE * direct.rps)
        busy = sum(us(relay.machine[k], relay) for k in ("user", "sys", "softirq"))
        relay_user = sum(us(u, relay) for u, _ in relay.cpu_split.values())
        relay_kernel = sum(us(k, relay) for _, k in relay.cpu_split.values())
        others = busy - relay_user - relay_kernel
        left = budget - others - relay_kernel
        out += ["", f"At {BUDGET_SHARE:.0%} of direct ({BUDGET_SHARE * direct.rps:,.0f} req/s) the CPUs have {budget:.1f} µs "
                f"per request with none idle. wrk, the app and softirq outside relay took {others:.1f} µs here and relay's "
                f"kernel time {relay_kernel:.1f} µs, which leaves {left:.1f} µs of user time for edge and agent together "
                f"(they used {relay_user:.1f} µs in this run)."]
    return out


def main() -> int:
    relay = os.environ.get("RELAY_BIN")
    if not relay:
        print("bench: RELAY_BIN is not set (bench/run.sh sets it)", file=sys.stderr)
        return 2
    # On timeout(1)'s SIGTERM, unwind so the finally below stops every process we started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load_before = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="relay-bench-"))
    started: list = []
    rows = []
    try:
        nginx = baselines.Nginx(workdir, NGINX_WORKERS)
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
        direct = Target("direct", f"http://127.0.0.1:{nginx.port}/hook", None, {})
        through_relay = Target("relay", f"http://127.0.0.1:{edge.port}/hook", f"{tunnel.host}:{tunnel.port}",
                               {"edge": edge.pid, "agent": agent.pid})
        targets = [direct, through_relay, *start_baselines(workdir, nginx.port, started)]

        # Sanity: every path answers 200 before we measure; then warm connections, pools, caches.
        for t in targets:
            check_answers(t)
            run_wrk(SCENARIOS[1], t.url, t.host, t.watch, 1)

        for s in SCENARIOS:
            if ONLY and not any(t in s.name for t in ONLY):
                continue
            results = [(t, run_wrk(s, t.url, t.host, t.watch, SECONDS)) for t in targets]
            rows.append((s, results))
            print(f"  {s.name}: " + ", ".join(f"{t.name} {r.rps:,.0f} req/s" for t, r in results), file=sys.stderr)
            for p in (edge, agent):
                if not p.running():
                    raise RuntimeError(f"{p.role} exited during '{s.name}':\n{p.tail()}")
    finally:
        for p in reversed(started):
            p.stop()

    header = ["scenario", "target", "req/s", "% direct", "p50 ms", "p99 ms", "errors", "MiB/s", "RSS MiB",
              "private MiB", "CPU s/10k"]
    table = []
    for s, results in rows:
        direct_rps = results[0][1].rps
        for t, r in results:
            mibs = f"{r.rps * r.body_bytes / MiB:,.0f}" if s.upload else "-"
            pct = f"{100 * r.rps / direct_rps:.0f}%" if direct_rps else "-"
            rss = " / ".join(f"{r.rss_kib[k] / 1024:.1f}" for k in t.watch) or "-"
            private = " / ".join(f"{r.private_kib[k] / 1024:.1f}" for k in t.watch) or "-"
            cpu = " / ".join(f"{r.cpu_s[k] / r.requests * 10_000:.2f}" for k in t.watch) if r.requests else ""
            table.append([s.name, t.name, f"{r.rps:,.0f}", pct, f"{r.p50_ms:.3f}", f"{r.p99_ms:.3f}", r.errors, mibs,
                          rss, private, cpu or "-"])
    widths = [max(len(str(row[i])) for row in [header, *table]) for i in range(len(header))]
    version = subprocess.run([relay, "--version"], capture_output=True, text=True).stdout.strip()
    processes = "; ".join(f"{t.name}: {' / '.join(t.watch)}" for t in targets if t.watch)
    lines = [
        f"relay bench  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  {version}  {os.cpu_count()} CPUs  "
        f"{SECONDS}s per run  nginx workers={NGINX_WORKERS}  wrk threads 1 (c=1) / 2  "
        f"inspector {'on' if INSPECT else 'off'}  log level {os.environ.get('BENCH_LOG_LEVEL', 'info')}",
        f"load average (1 min) before {load_before:.1f}, after {os.getloadavg()[0]:.1f}: other work on the "
        "machine skews the numbers",
        "direct: wrk -> nginx 127.0.0.1; relay: wrk -> relay edge (HTTP) -> TLS+HTTP/2 -> relay http agent -> nginx;",
        "nginx proxy: wrk -> nginx proxy_pass (keepalive) -> nginx; ssh -R: wrk -> sshd -> SSH connection -> ssh -> nginx",
        "errors = non-2xx/3xx + socket errors; RSS = peak (VmHWM) during that run, private = peak RssAnon (the",
        "process's own memory, without the shared libraries' and its code's pages) and CPU = utime+stime per 10k",
        f"requests, for each forwarding process ({processes})",
        "",
        fmt_row(header, widths),
        fmt_row(["-" * w for w in widths], widths),
        *(fmt_row(row, widths) for row in table),
    ]
    lines += cpu_breakdown(rows)
    report = "\n".join(lines) + "\n"
    print(report)
    out = BENCH_DIR / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.txt").write_text(report)
    print(f"(also written to {out / 'latest.txt'}; logs in {workdir / 'logs'})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
