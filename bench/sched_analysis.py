"""What the CPUs did while relay was under load, from `perf sched record -a` (bench/profile.py
with PROFILE_TOOL=sched): the share of time each pair of (CPU 0, CPU 1) occupants ran side by side,
and how long woken processes waited for a CPU, by where the kernel queued them.

It answers "why is the machine idle while requests are in flight": on the 2-vCPU machines of
this project, the kernel queues a process woken by a socket write on the writer's CPU (a sync
wake-up), so the pairs (wrk, edge) and (agent, app) share one CPU while the other idles (see
bench/README.md, "Where the idle time at 64 connections goes")."""

from __future__ import annotations

import bisect
import collections
import re
import shutil
import statistics
import subprocess
from pathlib import Path

SWITCH = re.compile(r"\[(\d+)\]\s+([\d.]+): +sched:sched_switch: .*prev_pid=(\d+) .*==> .*next_pid=(\d+)")
WAKING = re.compile(r"\[(\d+)\]\s+([\d.]+): +sched:sched_waking: .*pid=(\d+) .*target_cpu=(\d+)")


def record(path: Path, seconds: int) -> None:
    if shutil.which("perf") is None:
        raise SystemExit("sched: 'perf' is missing (apt-get install linux-perf)")
    if not Path("/sys/kernel/tracing/events/sched").exists():
        # The scheduler's tracepoints live in tracefs, which a minimal VM may not have mounted.
        subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"], check=False,
                       capture_output=True)
    subprocess.run(["perf", "sched", "record", "-a", "-o", str(path), "--", "sleep", str(seconds)],
                   check=True, capture_output=True)


def report(path: Path, names: dict[int, str]) -> str:
    """`names`: pid -> role (edge, agent, app, wrk...); every other task is `other`, pid 0 `idle`."""
    text = subprocess.run(["perf", "script", "-i", str(path), "-F", "cpu,time,event,trace"],
                          check=True, capture_output=True, text=True).stdout
    names = {0: "idle", **names}
    role = lambda pid: names.get(pid, "other")  # noqa: E731
    running: dict[int, int] = {}
    since: dict[int, float] = {}
    spans = collections.defaultdict(list)  # cpu -> [(start, end, pid)]
    wakings = []  # (pid, time, waker cpu, target cpu, running on target, running on the other)
    switch_in = collections.defaultdict(list)  # pid -> times it got a CPU
    for line in text.splitlines():
        if m := SWITCH.search(line):
            cpu, t, prev, nxt = int(m[1]), float(m[2]), int(m[3]), int(m[4])
            if cpu in running:
                spans[cpu].append((since[cpu], t, prev))
            running[cpu], since[cpu] = nxt, t
            switch_in[nxt].append(t)
        elif m := WAKING.search(line):
            cpu, t, pid, target = int(m[1]), float(m[2]), int(m[3]), int(m[4])
            wakings.append((pid, t, cpu, target, running.get(target), running.get(1 - target)))
    if sorted(spans) != [0, 1]:
        return "sched: this analysis is for 2-CPU machines\n"

    # Who ran on each CPU, sampled every 5 µs over the time both CPUs were traced.
    starts = {cpu: [a for a, _, _ in spans[cpu]] for cpu in spans}
    def at(cpu: int, t: float) -> str:
        i = bisect.bisect_right(starts[cpu], t) - 1
        return role(spans[cpu][i][2]) if i >= 0 and spans[cpu][i][1] > t else "?"
    t0 = max(s[0][0] for s in spans.values())
    t1 = min(s[-1][1] for s in spans.values())
    pairs = collections.Counter()
    t = t0
    while t < t1:
        pairs[tuple(sorted((at(0, t), at(1, t))))] += 1
        t += 5e-6
    total = sum(pairs.values())
    lines = [f"CPU occupancy over {t1 - t0:.2f} s (share of time each pair ran side by side):"]
    for pair, n in pairs.most_common(12):
        lines.append(f"  {100 * n / total:5.1f}%  {pair[0]} + {pair[1]}")

    # How long a woken process waited for a CPU, by where it was queued.
    waits = collections.defaultdict(list)
    for pid, t, waker_cpu, target, on_target, on_other in wakings:
        if pid not in names or pid == 0:
            continue
        ins = switch_in[pid]
        i = bisect.bisect_left(ins, t)
        if i == len(ins):
            continue
        where = "own CPU idle" if on_target == 0 else (
            f"queued behind {role(on_target)}" + (" on its waker's CPU" if waker_cpu == target else "")
            + (", other CPU idle" if on_other == 0 else ""))
        waits[(role(pid), where)].append((ins[i] - t) * 1e6)
    lines.append("Wake-ups: where the woken process was queued, and its wait for the CPU (µs):")
    for (who, where), v in sorted(waits.items(), key=lambda kv: -len(kv[1]))[:16]:
        lines.append(f"  {who:6} {len(v):6}x  p50 {statistics.median(v):7.1f}  p90 "
                     f"{sorted(v)[int(0.9 * len(v))]:7.1f}  {where}")
    return "\n".join(lines) + "\n"
