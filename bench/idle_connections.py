#!/usr/bin/env python3
"""Idle connections to the edge's agent port (TLS) and what they cost in memory (issue 10,
item 5). Opens N TCP connections that never send a byte, holds them, closes them, and prints
the edge's RSS: at start, at its peak (VmHWM), while they are held, and 30 s after they closed.

    RELAY_BIN=build/relay python3 bench/idle_connections.py            # N=4000
    BENCH_IDLE_COUNT=1000 BENCH_IDLE_HOLD=5 python3 bench/idle_connections.py

Two runs when the binary has the pending-handshake caps (--max-pending-handshakes):
  defaults   the caps as shipped: beyond 32 pending per address the edge closes at once;
  uncapped   caps lifted, so every connection waits: the cost of one silent connection.
An older binary gets one run with its own behaviour (the "before" figures of bench/README.md).
Connections come from 127.0.0.1 .. 127.0.0.8 in turn. Targets: peak ≤ 64 MiB, and 30 s after
the close ≤ baseline + 8 MiB."""

from __future__ import annotations

import os
import resource
import socket
import sys
import tempfile
import time
from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SOURCE_DIR / "tests" / "e2e"))

from relay_harness import Edge, Pki, has_flag, new_authtoken, proc_memory_kib  # noqa: E402

COUNT = int(os.environ.get("BENCH_IDLE_COUNT", "4000"))
HOLD_S = float(os.environ.get("BENCH_IDLE_HOLD", "5"))
AFTER_S = float(os.environ.get("BENCH_IDLE_AFTER", "30"))
SOURCES = [f"127.0.0.{i}" for i in range(1, 9)]
MiB = 1024  # KiB per MiB


def raise_open_files(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))


def run(label: str, extra: list[str], pki: Pki, work: Path) -> dict:
    edge = Edge(pki, new_authtoken(), work / label, extra=extra, log_level="warn")
    try:
        edge.wait_ready()
        time.sleep(0.5)
        baseline = proc_memory_kib(edge.pid)["VmRSS"]
        socks = []
        failed = 0
        started = time.monotonic()
        for i in range(COUNT):
            try:
                socks.append(socket.create_connection(("127.0.0.1", edge.agent_port), timeout=5,
                                                      source_address=(SOURCES[i % len(SOURCES)], 0)))
            except OSError:
                failed += 1
        opened_s = time.monotonic() - started
        time.sleep(HOLD_S)
        held = proc_memory_kib(edge.pid)["VmRSS"]
        # How many the edge kept: a closed one reads EOF at once.
        kept = 0
        for s in socks:
            s.setblocking(False)
            try:
                kept += s.recv(1) != b""
            except BlockingIOError:
                kept += 1
            except OSError:
                pass
        for s in socks:
            s.close()
        time.sleep(AFTER_S)
        mem = proc_memory_kib(edge.pid)
        return {"label": label, "baseline": baseline, "peak": mem["VmHWM"], "held": held,
                "after": mem["VmRSS"], "kept": kept, "failed": failed, "opened_s": opened_s}
    finally:
        edge.stop()


def main() -> int:
    raise_open_files(COUNT + 512)
    binary = os.environ.get("RELAY_BIN") or str(SOURCE_DIR / "build" / "relay")
    os.environ["RELAY_BIN"] = binary
    work = Path(tempfile.mkdtemp(prefix="relay-idle-"))
    pki = Pki(work / "pki")
    runs = [("defaults", [])]
    if has_flag("edge", "--max-pending-handshakes"):
        lifted = str(2 * COUNT)
        runs.append(("uncapped", ["--max-pending-handshakes", lifted, "--max-pending-handshakes-per-ip", lifted,
                                  "--handshake-timeout", "60"]))
    results = [run(label, extra, pki, work) for label, extra in runs]
    print(f"\nIdle connections: {COUNT} TCP connections to the agent port that send nothing, held "
          f"{HOLD_S:.0f} s, then closed; RSS of `relay edge` ({binary}) in MiB")
    print(f"{'run':<10} {'baseline':>9} {'peak':>7} {'held':>7} {'+30s':>7} {'kept open':>10} {'failed':>7}")
    ok = True
    for r in results:
        peak_ok = r["peak"] <= 64 * MiB
        after_ok = r["after"] <= r["baseline"] + 8 * MiB
        ok = ok and peak_ok and after_ok
        print(f"{r['label']:<10} {r['baseline'] / MiB:>9.1f} {r['peak'] / MiB:>7.1f} {r['held'] / MiB:>7.1f} "
              f"{r['after'] / MiB:>7.1f} {r['kept']:>10} {r['failed']:>7}"
              f"   peak≤64: {'yes' if peak_ok else 'NO'}, +30s≤baseline+8: {'yes' if after_ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
