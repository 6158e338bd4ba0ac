"""Cluster over rediss:// (issue 12, idle-sessions): the edge's Redis client speaks TLS to a
redis-server started with --tls-port only (Debian's Redis 7 is built with TLS), verifying its
certificate against ?cacert=PATH. A certificate from another CA is a clear log line naming the
verification failure; the edge keeps running and retries. Before this, rediss:// was refused at
start ("not supported yet")."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest

from relay_harness import LOCALHOST, Edge, free_port, wait_until


SECRET_ENV = {"RELAY_TEST_CLUSTER_SECRET": "0123456789abcdef0123456789abcdef"}


class TlsRedis:
    """redis-server with TLS only (--port 0), presenting `cert`; stopped by its PID."""

    def __init__(self, directory, cert, key, ca):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.ca = ca
        log = open(self.dir / "redis.log", "ab")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", "0", "--tls-port", str(self.port), "--bind", LOCALHOST,
             "--tls-cert-file", str(cert), "--tls-key-file", str(key), "--tls-ca-cert-file", str(ca),
             "--tls-auth-clients", "no", "--save", "", "--dir", str(self.dir)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        wait_until(lambda: self.cli("PING").strip() == "PONG", 10, f"TLS redis-server on port {self.port}")

    def url(self, ca_file) -> str:
        return f"rediss://{LOCALHOST}:{self.port}/0?cacert={ca_file}"

    def cli(self, *args: str) -> str:
        r = subprocess.run(["redis-cli", "--tls", "--cacert", str(self.ca), "-h", LOCALHOST, "-p", str(self.port),
                            *args], capture_output=True, text=True, timeout=10)
        return r.stdout if r.returncode == 0 else ""

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


@pytest.fixture
def tls_redis(tmp_path, pki):
    if not shutil.which("redis-server") or not shutil.which("redis-cli"):
        pytest.skip("redis-server is not installed (scripts/install-deps.sh installs it)")
    # The e2e PKI's edge certificate is for 127.0.0.1, signed by its CA: Redis can present it.
    server = TlsRedis(tmp_path / "redis-tls", pki.edge_cert, pki.edge_key, pki.ca)
    yield server
    server.kill()


def cluster_edge(relay, url: str) -> Edge:
    args = ["--cluster", url, "--edge-id", "edge-1", "--cluster-secret", "env:RELAY_TEST_CLUSTER_SECRET"]
    e = Edge(relay.pki, relay.authtoken, relay.dir, extra=args, env=SECRET_ENV)
    relay.processes.append(e)
    return e.wait_ready()


def test_cluster_over_tls_claims_names_in_redis(relay, tls_redis, make_app):
    edge = cluster_edge(relay, tls_redis.url(relay.pki.ca))
    edge.wait_for_output(r"redis connected", timeout=10)
    app = make_app()
    agent = relay.agent(app, edge, url="tlsshop")
    assert agent.tunnel.curl("/over-tls").status == 200
    app.wait_for_request("/over-tls")
    assert tls_redis.cli("HGET", "relay:name:tlsshop", "owner").strip(), "the name was not claimed in Redis"
    assert "certificate verify failed" not in edge.log()


def test_a_certificate_from_another_ca_is_logged_and_retried(relay, tls_redis):
    # The edge trusts only the unrelated CA: the Redis server's certificate must be refused.
    edge = cluster_edge(relay, tls_redis.url(relay.pki.wrong_ca))
    record = edge.wait_for_output(r"redis unavailable.*certificate verify failed", timeout=10)
    line = record.group(0)
    assert "wrong-ca.pem" in edge.log(), edge.log()
    time.sleep(1.5)  # a few reconnect rounds (backoff up to 2 s)
    assert edge.running(), edge.tail()
    # One line per outage, not one per retry.
    assert edge.log().count("redis unavailable") == 1, edge.log()
    assert line
