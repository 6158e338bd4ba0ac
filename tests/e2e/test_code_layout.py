"""Data path (issue 13): relay's code laid out in cmake/relay.order's order (docs/architecture.md,
"Code layout"), so that an edge and an agent keep ~2 MiB of relay's pages in RSS instead of ~4."""

import subprocess
from pathlib import Path

import pytest

from relay_harness import SOURCE_DIR, relay_bin

ORDER_FILE = SOURCE_DIR / "cmake" / "relay.order"


def symbols(binary: str) -> dict[str, int]:
    out = subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True, timeout=120).stdout
    table = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            table.setdefault(parts[2], int(parts[0], 16))
    return table


@pytest.fixture(scope="module")
def laid_out() -> dict[str, int]:
    binary = relay_bin()
    table = symbols(binary)
    if "__asan_init" in table:  # the sanitizer's runtime is linked into the binary
        pytest.skip("a sanitized build keeps the default layout (cmake/code_layout.cmake)")
    comment = subprocess.run(["readelf", "-p", ".comment", binary], capture_output=True, text=True).stdout
    assert "LLD" in comment, (f"{binary} was not linked by lld, so its code has the default layout: "
                              "apt-get install lld (scripts/install-deps.sh) and configure again")
    return table


def listed() -> list[str]:
    return [line.strip() for line in ORDER_FILE.read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def test_the_listed_functions_come_first_in_the_files_order(laid_out):
    names = listed()
    found = [(name, laid_out[name]) for name in names if name in laid_out]
    # Functions renamed or removed since the file was written are simply absent; many of them
    # mean that what edge and agent run now is mostly not in the file.
    assert len(found) >= 0.8 * len(names), (
        f"only {len(found)} of the {len(names)} functions in {ORDER_FILE.name} are left in relay: "
        "regenerate it with bench/orderfile.py")
    addresses = [address for _, address in found]
    out_of_order = [found[i][0] for i in range(1, len(found)) if addresses[i] < addresses[i - 1]]
    assert not out_of_order, f"not where {ORDER_FILE.name} puts them: {out_of_order[:5]}"
    # One block: nothing the file does not list in between, but for what shares a listed
    # function's section (a constructor's other name, a thunk).
    listed_names, at = set(names), set(addresses)
    between = [n for n, a in laid_out.items()
               if addresses[0] <= a <= addresses[-1] and n not in listed_names and a not in at]
    assert len(between) < 0.01 * len(found), between[:10]


def relay_pages_kib(pid: int, binary: str) -> int:
    """RSS of the mappings of relay's own file in process `pid`."""
    total, in_binary = 0, False
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        parts = line.split()
        if parts and "-" in parts[0] and not parts[0].endswith(":"):
            in_binary = len(parts) > 5 and parts[5] == binary
        elif in_binary and parts[0] == "Rss:":
            total += int(parts[1])
    return total


def test_edge_and_agent_keep_few_of_relays_pages(laid_out, agent, edge, tunnel):
    for i in range(30):
        assert tunnel.curl(f"/echo/layout{i}", "--data-binary", "x" * 2000).status == 200
    binary = str(Path(relay_bin()).resolve())
    pages = {role: relay_pages_kib(p.pid, binary) for role, p in (("edge", edge), ("agent", agent))}
    # ~1.9 MiB each laid out; ~4.1 MiB each in the default layout.
    assert all(kib < 3 * 1024 for kib in pages.values()), pages
