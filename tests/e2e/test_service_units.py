"""`relay service` and the shipped systemd units."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from relay_harness import relay_bin

SOURCE = Path(os.environ.get("RELAY_SOURCE_DIR", Path(__file__).resolve().parents[2]))


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([relay_bin(), *args], capture_output=True, text=True, timeout=30)


def unit_of(dry_run_stdout: str) -> str:
    """The unit text between '# would write PATH:' and '# would run:'."""
    m = re.search(r"^# would write \S+:\n(.*?)^# would run:\n", dry_run_stdout, re.S | re.M)
    assert m, dry_run_stdout
    return m[1]


def test_install_dry_run_prints_the_unit_and_the_commands():
    r = run("service", "install", "--dry-run", "--binary", "/usr/bin/relay", "--config", "/etc/relay/relay.yml")
    assert r.returncode == 0, r
    out = r.stdout
    assert "# would write /etc/systemd/system/relay.service:" in out
    unit = unit_of(out)
    assert "Type=notify" in unit
    assert "ExecStart=/usr/bin/relay start --all --config /etc/relay/relay.yml" in unit
    assert "ExecReload=/bin/kill -HUP $MAINPID" in unit
    assert "Restart=on-failure" in unit and "User=relay" in unit and "ProtectSystem=strict" in unit
    commands = out.split("# would run:\n", 1)[1].splitlines()
    assert commands[-2:] == ["systemctl daemon-reload", "systemctl enable --now relay.service"]
    assert "chown root:relay /etc/relay/relay.yml" in commands


def test_shipped_units_match_what_install_writes():
    agent = run("service", "install", "--dry-run", "--binary", "/usr/bin/relay", "--config", "/etc/relay/relay.yml")
    edge = run("service", "install", "--edge", "--dry-run", "--binary", "/usr/bin/relay",
               "--config", "/etc/relay/edge.yml")
    assert unit_of(agent.stdout) == (SOURCE / "config" / "relay.service").read_text()
    assert unit_of(edge.stdout) == (SOURCE / "config" / "relay-edge.service").read_text()
    edge_unit = unit_of(edge.stdout)
    assert "AmbientCapabilities=CAP_NET_BIND_SERVICE" in edge_unit
    assert "CapabilityBoundingSet=CAP_NET_BIND_SERVICE" in edge_unit
    assert "CAP_NET_BIND_SERVICE" not in unit_of(agent.stdout)


def test_user_unit_dry_run(tmp_path):
    env = dict(os.environ, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    r = subprocess.run([relay_bin(), "service", "install", "--user", "--dry-run"], capture_output=True,
                       text=True, timeout=30, env=env)
    assert r.returncode == 0, r
    assert f"# would write {tmp_path}/cfg/systemd/user/relay.service:" in r.stdout
    assert f"--config {tmp_path}/cfg/relay/relay.yml" in r.stdout
    assert "User=relay" not in r.stdout and "WantedBy=default.target" in r.stdout
    assert r.stdout.rstrip().splitlines()[-1] == "systemctl --user enable --now relay.service"


@pytest.mark.skipif(os.path.isdir("/run/systemd/system"), reason="systemd runs here: a real install would act")
def test_without_systemd_install_says_so_and_exits_1():
    r = run("service", "install")
    assert r.returncode == 1
    assert "systemd is not running on this machine (no /run/systemd/system)" in r.stderr
    assert run("service", "status").returncode == 1


@pytest.mark.parametrize("unit", ["relay.service", "relay-edge.service"])
def test_systemd_analyze_verify(tmp_path, unit):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is missing (apt-get install systemd)")
    # The shipped unit with ExecStart pointing at the binary under test (verify checks it exists).
    text = (SOURCE / "config" / unit).read_text().replace("/usr/bin/relay", relay_bin())
    path = tmp_path / unit
    path.write_text(text)
    r = subprocess.run([analyze, "verify", "--man=no", str(path)], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, SYSTEMD_LOG_LEVEL="warning"))
    # Outside a booted systemd, verify also complains about the host (no /run/systemd, missing
    # targets); only lines about our unit count.
    ours = [line for line in (r.stdout + r.stderr).splitlines() if unit in line]
    assert ours == [], r.stdout + r.stderr


def test_cmake_install_puts_binary_units_and_examples_in_place(tmp_path):
    """`cmake --install BUILD --prefix P` (what `make install` and the .deb do) from the build
    directory of the binary under test."""
    build = Path(relay_bin()).resolve().parent
    cmake = shutil.which("cmake")
    if cmake is None or not (build / "cmake_install.cmake").is_file():
        pytest.skip(f"{build} is not a CMake build directory (or cmake is missing)")
    prefix = tmp_path / "prefix"
    r = subprocess.run([cmake, "--install", str(build), "--prefix", str(prefix)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    binary = prefix / "bin" / "relay"
    assert os.access(binary, os.X_OK), sorted(str(p) for p in prefix.rglob("*"))
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30)
    assert version.returncode == 0 and version.stdout.strip(), version
    for unit in ("relay.service", "relay-edge.service"):
        installed = prefix / "lib" / "systemd" / "system" / unit
        assert installed.read_text() == (SOURCE / "config" / unit).read_text()
    for example in ("relay.yml", "edge.yml"):
        installed = prefix / "share" / "doc" / "relay" / "examples" / example
        assert installed.read_text() == (SOURCE / "config" / example).read_text()


def test_cpack_builds_a_deb_with_binary_units_and_examples(tmp_path):
    build = Path(relay_bin()).resolve().parent
    cpack, dpkg_deb = shutil.which("cpack"), shutil.which("dpkg-deb")
    if cpack is None or dpkg_deb is None or not (build / "CPackConfig.cmake").is_file():
        pytest.skip("needs cpack, dpkg-deb and the CMake build directory of the binary under test")
    r = subprocess.run([cpack, "-G", "DEB", "--config", str(build / "CPackConfig.cmake"), "-B", str(tmp_path)],
                       cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    debs = list(tmp_path.glob("relay_*.deb"))
    assert len(debs) == 1, sorted(p.name for p in tmp_path.iterdir())
    listing = subprocess.run([dpkg_deb, "-c", str(debs[0])], capture_output=True, text=True, timeout=60).stdout
    files = {line.split()[-1] for line in listing.splitlines()}
    assert {"./usr/bin/relay", "./usr/lib/systemd/system/relay.service", "./usr/lib/systemd/system/relay-edge.service",
            "./usr/share/doc/relay/examples/relay.yml", "./usr/share/doc/relay/examples/edge.yml"} <= files, files
    fields = subprocess.run([dpkg_deb, "-f", str(debs[0]), "Package", "Depends"], capture_output=True, text=True,
                            timeout=60).stdout
    assert "Package: relay" in fields and "libssl3" in fields, fields
