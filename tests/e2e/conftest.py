"""pytest fixtures for relay end-to-end tests. See README.md in this directory."""

from __future__ import annotations

import os
import shutil

import pytest

from app_server import App
from relay_harness import Agent, Edge, HAProxy, Pki, RedisServer, RelayProcess, has_flag, new_authtoken, relay_bin


def pytest_configure(config):
    config.addinivalue_line("markers", "needs_flag(command, flag): skipped until `relay COMMAND --help` lists FLAG")


def pytest_collection_modifyitems(config, items):
    for item in items:
        for mark in item.iter_markers("needs_flag"):
            command, flag = mark.args
            if not has_flag(command, flag):
                item.add_marker(pytest.mark.skip(reason=f"NOT BUILT YET: `relay {command}` has no {flag} flag"))


@pytest.fixture(scope="session", autouse=True)
def _relay_binary():
    path = relay_bin()
    if not os.access(path, os.X_OK):
        pytest.exit(f"relay binary not found or not executable: {path} (set RELAY_BIN)", returncode=2)
    if not shutil.which("curl") or not shutil.which("openssl"):
        pytest.exit("the end-to-end tests need curl and openssl (scripts/install-deps.sh)", returncode=2)
    return path


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> Pki:
    """Throwaway CA + edge certificate (SAN IP:127.0.0.1, DNS:localhost, DNS:*.relay.test)."""
    return Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def authtoken() -> str:
    return new_authtoken()


class Relay:
    """Starts relay processes for one test and stops every one of them afterwards (SIGTERM, then
    SIGKILL after 10 s). Each process logs (logfmt) to its own file under the test's tmp dir."""

    def __init__(self, tmp_path, pki: Pki, authtoken: str):
        self.dir = tmp_path / "relay"
        self.pki = pki
        self.authtoken = authtoken
        self.processes: list[RelayProcess] = []

    def edge(self, wait: bool = True, authtoken: str | None = "default", **kw) -> Edge:
        """`relay edge` on 127.0.0.1 (domain relay.test) with the test PKI and authtoken."""
        token = self.authtoken if authtoken == "default" else authtoken
        e = Edge(self.pki, token, self.dir, **kw)
        self.processes.append(e)
        return e.wait_ready() if wait else e

    def agent(self, upstream, edge: Edge | None, wait: bool = True, **kw) -> Agent:
        """`relay http UPSTREAM --edge ... --authtoken ... --edge-ca ...` (edge=None: embedded).
        `upstream` may be an App (→ "127.0.0.1:PORT" or "https://127.0.0.1:PORT")."""
        if isinstance(upstream, App):
            upstream = f"{'https://' if upstream.scheme == 'https' else ''}{_hostport(upstream.host, upstream.port)}"
        a = Agent(str(upstream), self.dir, edge=edge, **kw)
        self.processes.append(a)
        return a.wait_ready() if wait else a

    def stop_all(self) -> None:
        for p in reversed(self.processes):
            p.stop()

    def logs(self) -> str:
        return "\n".join(f"=== {p} exit={p.proc.poll()}\n{p.tail(60)}" for p in self.processes)


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@pytest.fixture
def relay(request, tmp_path, pki, authtoken):
    r = Relay(tmp_path, pki, authtoken)
    request.node._relay = r
    yield r
    r.stop_all()


@pytest.fixture
def make_app():
    """Factory: make_app(host="::1"), make_app(tls=(cert, key)); all closed after the test."""
    apps = []

    def make(**kw) -> App:
        a = App(**kw)
        apps.append(a)
        return a

    yield make
    for a in apps:
        a.close()


@pytest.fixture
def app(make_app) -> App:
    """The app on 127.0.0.1 (see app_server.py for its routes)."""
    return make_app()


@pytest.fixture
def redis_server(tmp_path):
    """cluster: a redis-server of the test's own (docs/cluster.md), killed afterwards."""
    if not shutil.which("redis-server") or not shutil.which("redis-cli"):
        pytest.skip("redis-server is not installed (scripts/install-deps.sh installs it)")
    server = RedisServer(tmp_path / "redis")
    yield server
    server.kill()


@pytest.fixture
def edge(relay) -> Edge:
    return relay.edge()


@pytest.fixture
def agent(relay, edge, app) -> Agent:
    """An agent on `edge` forwarding to `app`, with a random name."""
    return relay.agent(app, edge)


@pytest.fixture
def tunnel(agent):
    """The public side of `agent`: tunnel.curl("/path", *curl_args) → Response."""
    return agent.tunnel


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and hasattr(item, "_relay"):
        try:
            rep.sections.append(("relay process output", item._relay.logs()))
        except Exception as e:  # the report must not fail because a log file vanished
            rep.sections.append(("relay process output", f"(unavailable: {e})"))


@pytest.fixture
def make_haproxy(tmp_path):
    """cluster: make_haproxy({"a": edge_a.port, ...}) starts Debian's haproxy in TCP mode in front
    of those public ports (relay_harness.HAProxy); stopped after the test. Skipped when haproxy is
    not installed."""
    if not HAProxy.installed():
        pytest.skip("haproxy is not installed (scripts/install-deps.sh installs it)")
    started = []

    def make(backends: dict[str, int], port: int = 0) -> HAProxy:
        h = HAProxy(tmp_path / f"haproxy-{len(started)}", backends, port=port)
        started.append(h)
        return h

    yield make
    for h in started:
        h.stop()
