#!/usr/bin/env python3
"""Idle agent sessions one `relay edge` holds, and what each costs in memory (issue 12: target
≥ 10,000 within 1 GiB RSS). Starts one edge, opens N agent sessions (TLS + the connect request +
HTTP/2 with roles reversed, docs/protocol.md), each binding its own tunnel, keeps them idle
(answering the edge's PINGs), and prints the edge's RSS at 0, 1k, 2k, 5k and N sessions with the
KiB each session adds. At N it holds the sessions for BENCH_SESSIONS_HOLD seconds (two PING
rounds by default: an unanswered PING would end sessions), then sends a request through a few
random tunnels and checks each is answered by its own session.

    RELAY_BIN=build/relay python3 bench/idle_sessions.py          # N=10000
    BENCH_SESSIONS=2000 BENCH_SESSIONS_HOLD=5 python3 bench/idle_sessions.py

The agents are a minimal HTTP/2 server written here (no h2 library needed): SETTINGS, PING
answers, a 200 for the control stream and for each request, nothing else. Sessions come from
127.0.0.1 .. 127.0.0.16 in turn; the edge's pending-handshake caps are lifted for the run (they
guard against silent connections, which these are not). Bounded: BENCH_SESSIONS_TIMEOUT seconds
in all (default 900); it kills only the edge it started."""

from __future__ import annotations

import asyncio
import http.client
import os
import random
import resource
import ssl
import struct
import sys
import tempfile
import time
from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SOURCE_DIR / "tests" / "e2e"))

from relay_harness import DOMAIN, Edge, Pki, new_authtoken, proc_memory_kib  # noqa: E402

COUNT = int(os.environ.get("BENCH_SESSIONS", "10000"))
HOLD_S = float(os.environ.get("BENCH_SESSIONS_HOLD", "25"))
TIMEOUT_S = float(os.environ.get("BENCH_SESSIONS_TIMEOUT", "900"))
PARALLEL = int(os.environ.get("BENCH_SESSIONS_PARALLEL", "64"))  # handshakes in flight
SOURCES = [f"127.0.0.{i}" for i in range(1, 17)]
CHECKPOINTS = sorted({c for c in (1000, 2000, 5000) if c < COUNT} | {COUNT})
CHECKS = 5  # requests through random tunnels at the end

# HTTP/2 frame types and flags (RFC 9113)
DATA, HEADERS, SETTINGS, PING, GOAWAY = 0x0, 0x1, 0x4, 0x6, 0x7
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
# HPACK: ":status: 200" is static entry 8; content-type (entry 31) as a literal, not indexed.
STATUS_200 = b"\x88"
NDJSON = b"\x0f\x10" + bytes([len(b"application/x-ndjson")]) + b"application/x-ndjson"


def frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


class IdleAgent:
    """One agent session binding tunnel `name`: answers what keeps it alive, nothing more."""

    def __init__(self, name: str):
        self.name = name
        self.bound = asyncio.get_running_loop().create_future()
        self.closed = False
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self, port: int, source: str, token: str, tls: ssl.SSLContext) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=tls, server_hostname="localhost",
                                                       local_addr=(source, 0))
        self.writer = writer
        body = ('{"version":1,"agent_version":"bench","tunnels":[{"name":"%s","proto":"http"}],"resume":null}'
                % self.name).encode()
        writer.write(b"POST /_relay/v1/connect HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " +
                     token.encode() + b"\r\nConnection: Upgrade\r\nUpgrade: relay-h2\r\n"
                     b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() +
                     b"\r\n\r\n" + body)
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            rest = await reader.read(4096)
            raise RuntimeError(f"connect refused: {(head + rest)[:300]!r}")
        writer.write(frame(SETTINGS, 0, 0, struct.pack(">HI", 0x3, 100)))  # MAX_CONCURRENT_STREAMS
        asyncio.ensure_future(self.serve(reader, writer))

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            preface = await reader.readexactly(24)
            assert preface == b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", preface
            while True:
                hdr = await reader.readexactly(9)
                length = int.from_bytes(hdr[:3], "big")
                kind, flags = hdr[3], hdr[4]
                stream = int.from_bytes(hdr[5:9], "big") & 0x7FFFFFFF
                payload = await reader.readexactly(length) if length else b""
                if kind == SETTINGS and not flags & ACK:
                    writer.write(frame(SETTINGS, ACK, 0))
                elif kind == PING and not flags & ACK:
                    writer.write(frame(PING, ACK, 0, payload))
                elif kind == HEADERS and stream == 1:
                    writer.write(frame(HEADERS, END_HEADERS, 1, STATUS_200 + NDJSON))
                elif kind == HEADERS:  # a public request: answer with our tunnel's name
                    writer.write(frame(HEADERS, END_HEADERS, stream, STATUS_200) +
                                 frame(DATA, END_STREAM, stream, self.name.encode()))
                elif kind == DATA and stream == 1 and b'"session"' in payload and not self.bound.done():
                    self.bound.set_result(True)
                elif kind == GOAWAY:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, OSError, ssl.SSLError):
            pass
        finally:
            self.closed = True
            if not self.bound.done():
                self.bound.set_exception(RuntimeError(f"{self.name}: session ended before it was bound"))
            writer.close()


def rss_kib(pid: int) -> int:
    return proc_memory_kib(pid)["VmRSS"]


async def open_sessions(agents: list, start: int, end: int, edge: Edge, token: str, tls: ssl.SSLContext,
                        deadline: float) -> int:
    """Opens agents[start:end]; returns how many failed."""
    gate = asyncio.Semaphore(PARALLEL)
    failed = 0

    async def one(i: int) -> None:
        nonlocal failed
        async with gate:
            agent = IdleAgent(f"idle{i}")
            try:
                await asyncio.wait_for(agent.connect(edge.agent_port, SOURCES[i % len(SOURCES)], token, tls),
                                       max(1.0, deadline - time.monotonic()))
                await asyncio.wait_for(agent.bound, 30)
                agents.append(agent)
            except (OSError, RuntimeError, asyncio.TimeoutError, ssl.SSLError, asyncio.IncompleteReadError) as e:
                failed += 1
                if failed <= 5:
                    print(f"  session {i} failed: {e!r}", flush=True)

    await asyncio.gather(*(one(i) for i in range(start, end)))
    return failed


def request_through(edge: Edge, name: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", edge.port, timeout=10)
    try:
        conn.request("GET", "/bench", headers={"Host": f"{name}.{DOMAIN}:{edge.port}"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


async def run(edge: Edge, token: str, tls: ssl.SSLContext) -> int:
    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + TIMEOUT_S
    agents: list[IdleAgent] = []
    time.sleep(1)
    rows = [(0, rss_kib(edge.pid), 0.0)]
    started = time.monotonic()
    failed = 0
    for checkpoint in CHECKPOINTS:
        failed += await open_sessions(agents, len(agents) + failed, checkpoint, edge, token, tls, deadline)
        await asyncio.sleep(2)  # the edge settles (its writes, a trim) before the sample
        rows.append((len([a for a in agents if not a.closed]), rss_kib(edge.pid), time.monotonic() - started))
        print(f"  {rows[-1][0]} sessions open, edge RSS {rows[-1][1] / 1024:.1f} MiB", flush=True)
        if time.monotonic() > deadline:
            print("  time limit reached", flush=True)
            break
    await asyncio.sleep(min(HOLD_S, max(0.0, deadline - time.monotonic())))
    alive = [a for a in agents if not a.closed]
    held_rss = rss_kib(edge.pid)
    ok_checks = 0
    for agent in random.sample(alive, min(CHECKS, len(alive))):
        status, body = await loop.run_in_executor(None, request_through, edge, agent.name)
        ok_checks += status == 200 and body == agent.name.encode()
        if status != 200 or body != agent.name.encode():
            print(f"  request through {agent.name}: {status} {body[:200]!r}")
    mem = proc_memory_kib(edge.pid)

    print(f"\nIdle agent sessions: one `relay edge`, each session TLS + HTTP/2 binding one tunnel; "
          f"{failed} failed to open")
    print(f"{'sessions':>9} {'RSS MiB':>9} {'KiB/session':>12} {'opened at s':>12}")
    base = rows[0][1]
    for n, rss, at in rows:
        per = f"{(rss - base) / n:.1f}" if n else "-"
        print(f"{n:>9} {rss / 1024:>9.1f} {per:>12} {at:>12.1f}")
    print(f"after {HOLD_S:.0f} s idle: {len(alive)} of {len(agents)} sessions alive, RSS {held_rss / 1024:.1f} MiB, "
          f"peak {mem['VmHWM'] / 1024:.1f} MiB; requests through random tunnels: {ok_checks}/{min(CHECKS, len(alive))}")
    for agent in agents:
        if agent.writer:
            agent.writer.close()
    within = held_rss <= 1024 * 1024
    good = len(alive) == COUNT and ok_checks == min(CHECKS, len(alive)) and within
    print(f"target: {COUNT} sessions within 1 GiB: {'yes' if good else 'NO'}")
    return 0 if good else 1


def main() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < COUNT + 256:
        print(f"RLIMIT_NOFILE hard limit {hard} is too low for {COUNT} sessions (raise it: ulimit -Hn)")
        return 2
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    binary = os.environ.get("RELAY_BIN") or str(SOURCE_DIR / "build" / "relay")
    os.environ["RELAY_BIN"] = binary
    work = Path(tempfile.mkdtemp(prefix="relay-idle-sessions-"))
    pki = Pki(work / "pki")
    token = new_authtoken()
    config = work / "edge.yml"
    config.write_text(f"limits:\n  max_sessions: {COUNT + 100}\n")
    lifted = str(4 * PARALLEL)
    edge = Edge(pki, token, work, log_level="warn",
                extra=["--config", str(config), "--max-pending-handshakes", lifted,
                       "--max-pending-handshakes-per-ip", lifted, "--auth-failures-per-minute", "0"])
    try:
        edge.wait_ready()
        tls = ssl.create_default_context(cafile=str(pki.ca))
        tls.set_alpn_protocols(["relay/1"])
        return asyncio.run(run(edge, token, tls))
    finally:
        edge.stop()
        print(f"edge log: {edge.stderr_path if hasattr(edge, 'stderr_path') else work}")


if __name__ == "__main__":
    sys.exit(main())
