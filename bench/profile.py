#!/usr/bin/env python3
"""Instruction counts per request for edge and agent, under callgrind (repeatable on a shared
machine, unlike wall-clock). Same set-up as bench.py (nginx app, edge + agent over TLS), with both
relay processes run under `valgrind --tool=callgrind`; counters are zeroed after a warm-up and
dumped after a bounded wrk run, then divided by the requests wrk completed.

Usage: RELAY_BIN=build/relay python3 bench/profile.py [webhook|upload] [connections] [seconds]
Prints Ir per request for edge and agent and leaves the callgrind files (callgrind_annotate them)
in the printed directory.

PROFILE_TOOL=strace counts system calls instead (STRACE_FULL=1: every call with its time),
PROFILE_TOOL=massif records heap peaks, and PROFILE_TOOL=sched records 2 s of the whole machine's
scheduling with `perf sched` (relay unprofiled, as in bench/run.sh) and prints which processes
shared the CPUs and how long woken ones waited (bench/sched_analysis.py); needs linux-perf, root.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (reuses its nginx and the e2e harness)
import sched_analysis  # noqa: E402
from relay_harness import Agent, Edge, Pki, new_authtoken  # noqa: E402


def wrapper(workdir: Path, real: str) -> str:
    """A RELAY_BIN that runs `relay edge`/`relay http` under callgrind and anything else (--help,
    --version) directly."""
    path = workdir / "relay-callgrind"
    tool = ""
    if MASSIF:
        tool = f"valgrind --tool=massif --massif-out-file={workdir}/massif.%p"
    elif not STRACE and not SCHED:
        tool = (f"valgrind --tool=callgrind --callgrind-out-file={workdir}/callgrind.%p --dump-instr=no "
                "--compress-strings=no --separate-threads=no")
    path.write_text(f"""#!/bin/sh
for a in "$@"; do case "$a" in --help|--version) exec "{real}" "$@";; esac; done
exec {tool} "{real}" "$@"
""")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


STRACE = os.environ.get("PROFILE_TOOL") == "strace"  # syscall counts instead of instructions
SCHED = os.environ.get("PROFILE_TOOL") == "sched"  # CPU placement and wake-ups (perf sched)
MASSIF = os.environ.get("PROFILE_TOOL") == "massif"  # heap peaks (ms_print the files)


def total_ir(path: Path) -> int:
    text = path.read_text(errors="replace")
    m = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
    return int(m[1]) if m else 0


def curl_uploads(workdir: Path, url: str, host: str, count: int) -> bench.Result:
    """`count` sequential 1 MiB uploads with curl (wrk's 5 s timeout is too short under valgrind)."""
    body = workdir / "body.bin"
    body.write_bytes(bytes(range(256)) * 4096)
    ok = 0
    t0 = time.monotonic()
    for _ in range(count):
        code = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "60", "-H",
                               f"Host: {host}", "-H", "Content-Type: application/octet-stream",
                               "--data-binary", f"@{body}", url], capture_output=True, text=True).stdout
        ok += code == "200"
    return bench.Result(count, time.monotonic() - t0, 0, 0, count - ok, 1 << 20, {}, {}, {}, {})


def sched_run(workdir: Path, label: str, scenario: bench.Scenario, url: str, host: str | None,
              seconds: int, names: dict[int, str]) -> None:
    """wrk for `seconds`; 2 s in its middle recorded with perf sched, every CPU and process."""
    results: list[bench.Result] = []
    load = threading.Thread(target=lambda: results.append(bench.run_wrk(scenario, url, host, {}, seconds)))
    load.start()
    time.sleep(max(1, seconds // 3))
    for pid in subprocess.run(["pgrep", "-x", "wrk"], capture_output=True, text=True).stdout.split():
        for tid in os.listdir(f"/proc/{pid}/task"):
            names.setdefault(int(tid), "wrk")
    path = workdir / f"perf.sched.{label.split()[0]}"
    sched_analysis.record(path, 2)
    load.join()
    print(f"{label}, {scenario.name} c={scenario.connections}: {results[0].rps:,.0f} req/s "
          f"(2 s recorded in {path})")
    print(sched_analysis.report(path, names))


def start_app_and_edge(workdir: Path, started: list) -> tuple[bench.baselines.Nginx, Edge]:
    """The benchmark's nginx and an edge with its own PKI and authtoken, both appended to
    `started` (stop them in reverse)."""
    nginx = bench.baselines.Nginx(workdir, bench.NGINX_WORKERS)
    started.append(nginx)
    edge = Edge(Pki(workdir / "pki"), new_authtoken(), workdir / "logs")
    started.append(edge)
    edge.wait_ready(timeout=90)  # under valgrind
    return nginx, edge


def main() -> int:
    kind = sys.argv[1] if len(sys.argv) > 1 else "webhook"
    conns = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    real = os.environ["RELAY_BIN"]
    workdir = Path(tempfile.mkdtemp(prefix="relay-profile-"))
    os.environ["RELAY_BIN"] = wrapper(workdir, real)
    started = []
    try:
        nginx, edge = start_app_and_edge(workdir, started)
        agent = Agent(f"127.0.0.1:{nginx.port}", workdir / "logs", edge=edge, url="bench")
        started.append(agent)
        agent.wait_ready(timeout=90)
        host = f"{agent.tunnel.host}:{agent.tunnel.port}"
        url = f"http://127.0.0.1:{edge.port}/hook"
        script = "upload.lua" if kind == "upload" else "webhook.lua"
        scenario = bench.Scenario(kind, script, conns, 1, upload=kind == "upload")
        watch = {"edge": edge.pid, "agent": agent.pid}
        bench.run_wrk(scenario, url, host, watch, 3)  # warm-up: pools, windows, allocator
        if STRACE:
            # STRACE_FULL=1: every call with its time, to see how writes and reads interleave.
            what = ["-tt", "-e", "trace=network,epoll_wait,write"] if os.environ.get("STRACE_FULL") else ["-c"]
            tracers = [subprocess.Popen(["strace", *what, "-f", "-p", str(pid), "-o", str(workdir / f"strace.{role}")],
                                        stderr=subprocess.DEVNULL) for role, pid in watch.items()]
            time.sleep(1)
            r = bench.run_wrk(scenario, url, host, watch, seconds)
            n = r.requests
            for t in tracers:
                t.send_signal(2)
                t.wait(timeout=30)
            for f in sorted(workdir.glob("strace.*")):
                text = f.read_text()
                m = re.search(r"^100\.00\s+\S+\s+\S+\s+(\d+)", text, re.M)
                calls = int(m[1]) if m else 0
                print(f"{f.name}: {calls} syscalls, {calls / n:.1f} per request ({n} requests)")
                print("\n".join(text.splitlines()[:12]))
            return 0
        if SCHED:
            app = bench.baselines.children(nginx.proc.pid)[0]
            sched_run(workdir, "relay", scenario, url, host, seconds,
                      {edge.pid: "edge", agent.pid: "agent", app: "app"})
            if bench.baselines.SSHD is not None:  # the same through `ssh -R`, for comparison
                tunnel = bench.baselines.SshTunnel(workdir, nginx.port)
                started.append(tunnel)
                ssh_url = f"http://127.0.0.1:{tunnel.port}/hook"
                bench.run_wrk(scenario, ssh_url, None, tunnel.pids, 1)
                sched_run(workdir, "ssh -R", scenario, ssh_url, None, seconds,
                          {tunnel.pids["sshd"]: "sshd", tunnel.pids["ssh"]: "ssh", app: "app"})
            return 0
        if MASSIF:
            bench.run_wrk(scenario, url, host, watch, seconds)
            for p in reversed(started):
                p.stop()
            started.clear()
            print(f"massif files in {workdir}: ms_print {workdir}/massif.<pid>")
            return 0
        for pid in watch.values():
            subprocess.run(["callgrind_control", "-z", str(pid)], check=True, capture_output=True)
        if kind == "upload":
            r = curl_uploads(workdir, url.replace("/hook", "/upload"), host, seconds)
        else:
            r = bench.run_wrk(scenario, url, host, watch, seconds)
        time.sleep(1)  # let the last responses finish
        for pid in watch.values():
            subprocess.run(["callgrind_control", "-d", "profile", str(pid)], check=True, capture_output=True)
        time.sleep(1)
        print(f"{kind} c={conns}: {r.requests} requests in {r.seconds:.1f} s, errors {r.errors}")
        for role, pid in watch.items():
            dumps = sorted(workdir.glob(f"callgrind.{pid}.*"))
            ir = total_ir(dumps[-1]) if dumps else 0
            per = ir / r.requests if r.requests else 0
            mib = r.requests * r.body_bytes / (1 << 20) if kind == "upload" else 0
            extra = f", {ir / mib / 1e6:.2f} M Ir/MiB" if mib else ""
            print(f"  {role}: {ir:,} Ir, {per:,.0f} Ir/request{extra}  ({dumps[-1] if dumps else '-'})")
    finally:
        for p in reversed(started):
            p.stop()
    print(f"callgrind files in {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
