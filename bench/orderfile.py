#!/usr/bin/env python3
"""Writes cmake/relay.order: the functions of relay that `relay edge` and `relay http` run, in the
order the linker should lay them out (docs/architecture.md, "Code layout").

Why: the kernel maps a file's pages 64 KiB at a time around each page a process touches. An edge
runs ~800 KiB of relay's 5 MiB of code, spread over nearly all of it, so ~4 MiB of relay counted
in its RSS. Laid out together (lld's --symbol-ordering-file), the code an edge or an agent runs
sits in ~1 MiB.

How: the edge and two agents (the benchmark's, and one with the defaults: inspector on) run under
callgrind from start to exit while webhooks, 1 MiB uploads and inspector reads go through them.
Every function of relay's binary that ran is listed: the edge's own first, then those both run,
then the agents' own, each group hottest first (in steps of 16x). A function that is not listed
(new since the file was written) still links, after the listed ones: run this again when the
layout drifts (bench/README.md). Two runs differ in a few functions that run only sometimes (a
timer that fires, a read that splits). Needs valgrind, wrk and nginx (scripts/install-deps.sh)
and a Release build.

  python3 bench/orderfile.py            # writes cmake/relay.order
"""
from __future__ import annotations

import collections
import os
import re
import stat
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))

import bench  # noqa: E402
from profile import start_app_and_edge  # noqa: E402
from relay_harness import Agent, Edge, free_port  # noqa: E402

OUTPUT = HERE.parent / "cmake" / "relay.order"


def wrapper(workdir: Path, real: str) -> str:
    """A RELAY_BIN that runs edge and agents under callgrind with mangled names (the linker's)."""
    path = workdir / "relay-callgrind"
    path.write_text(f"""#!/bin/sh
for a in "$@"; do case "$a" in --help|--version) exec "{real}" "$@";; esac; done
exec valgrind --tool=callgrind --callgrind-out-file={workdir}/callgrind.%p --demangle=no \
  --compress-strings=no --compress-pos=no --separate-threads=no --dump-instr=no "{real}" "$@"
""")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def self_costs(path: Path, binary: str) -> collections.Counter[str]:
    """Instructions each function of `binary` ran itself, from one callgrind file."""
    costs: collections.Counter[str] = collections.Counter()
    ob = fn = ""
    skip_call_line = False
    for line in path.open(errors="replace"):
        if line.startswith("ob="):
            ob = line[3:].strip()
        elif line.startswith("fn="):
            fn = re.sub(r"'\d+$", "", line[3:].strip())  # recursion levels: fn'2
            # A symbol ran: not "0x..." (code without one) nor "(below main)". Names with dots
            # count: static initializers (_GLOBAL__sub_I_x.cpp), GCC clones (.cold, .isra.0).
            if ob == binary and not fn.startswith(("0x", "(")):
                costs[fn] += 0
        elif line.startswith("calls="):
            skip_call_line = True
        elif line[:1].isdigit() or line[:1] in "+-*":
            if skip_call_line:
                skip_call_line = False
            elif ob == binary and fn in costs:
                parts = line.split()
                if len(parts) >= 2:
                    costs[fn] += int(parts[1])
    return costs


def drive(edge: Edge, agents: list[tuple[Agent, int]]) -> None:
    """What the layout is for: webhooks and uploads through each agent, the inspector's API."""
    for agent, inspector in agents:
        host = f"{agent.tunnel.host}:{agent.tunnel.port}"
        for scenario, path in ((bench.Scenario("webhook", "webhook.lua", 16, 2), "/hook"),
                               (bench.Scenario("upload", "upload.lua", 4, 2, upload=True), "/upload")):
            bench.run_wrk(scenario, f"http://127.0.0.1:{edge.port}{path}", host, {}, 2)
        if inspector:
            for api in ("/api/requests/http?limit=5", "/api/tunnels"):
                with urllib.request.urlopen(f"http://127.0.0.1:{inspector}{api}", timeout=60) as r:
                    r.read()


def main() -> int:
    real = os.environ.get("RELAY_BIN") or str(HERE.parent / "build" / "relay")
    binary = str(Path(real).resolve())
    workdir = Path(tempfile.mkdtemp(prefix="relay-orderfile-"))
    os.environ["RELAY_BIN"] = wrapper(workdir, binary)
    started: list = []
    roles: dict[int, str] = {}
    try:
        nginx, edge = start_app_and_edge(workdir, started)
        roles[edge.pid] = "edge"
        agents = []
        for url, inspector in (("bench", 0), ("defaults", free_port())):
            extra = ["--inspect", f"127.0.0.1:{inspector}"] if inspector else []
            agent = Agent(f"127.0.0.1:{nginx.port}", workdir / "logs", edge=edge, url=url,
                          inspect=bool(inspector), extra=extra)
            started.append(agent)
            agent.wait_ready(timeout=90)
            roles[agent.pid] = "agent"
            agents.append((agent, inspector))
        drive(edge, agents)
    finally:
        for p in reversed(started):
            p.stop()
    time.sleep(1)
    ran: dict[str, collections.Counter[str]] = {"edge": collections.Counter(), "agent": collections.Counter()}
    for pid, role in roles.items():
        for dump in workdir.glob(f"callgrind.{pid}*"):
            ran[role].update(self_costs(dump, binary))
    if not ran["edge"] or not ran["agent"]:
        print(f"orderfile: callgrind recorded nothing for the edge or the agents (files in {workdir})",
              file=sys.stderr)
        return 1
    both = ran["edge"].keys() & ran["agent"].keys()
    groups = (
        ("the edge's own", [f for f in ran["edge"] if f not in both], ran["edge"]),
        ("run by both", list(both), ran["edge"] + ran["agent"]),
        ("the agents' own", [f for f in ran["agent"] if f not in both], ran["agent"]),
    )
    lines = ["# Generated by bench/orderfile.py: relay's functions in the order lld lays them out",
             "# (--symbol-ordering-file, cmake/code_layout.cmake). Regenerate it; do not edit it."]
    for title, names, cost in groups:
        lines.append(f"# {title}: {len(names)} functions")
        # Hottest first in steps of 16x, then by name: two runs, whose costs differ a little,
        # then write nearly the same file, so a regenerated file shows what changed in the code.
        lines.extend(sorted(names, key=lambda f: (-(cost[f].bit_length() // 4), f)))
    OUTPUT.write_text("\n".join(lines) + "\n")
    print(f"orderfile: wrote {OUTPUT} ({sum(len(g[1]) for g in groups)} functions; "
          f"callgrind files in {workdir})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
