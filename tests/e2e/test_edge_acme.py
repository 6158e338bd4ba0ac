"""Issue 14 item 3: automatic certificates. A real `relay edge --acme-email ...` against Debian's
pebble (an ACME test CA) on loopback. pebble resolves every tunnel host to 127.0.0.1 through
pebble-challtestsrv's DNS (-defaultIPv4), and validates HTTP-01 at the edge's --listen port, or
TLS-ALPN-01 at its --listen-tls port."""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import stat
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from relay_harness import DOMAIN, LOCALHOST, _openssl, curl, free_port, relay_bin, wait_until

pytestmark = pytest.mark.skipif(
    not (shutil.which("pebble") and shutil.which("pebble-challtestsrv")),
    reason="needs Debian's pebble (scripts/install-deps.sh installs it)")

SANITIZED = bool(os.environ.get("RELAY_SANITIZED"))
ORDER_TIMEOUT = 60 if SANITIZED else 30


class Pebble:
    """pebble (ACME on `port`, management on `mgmt_port`) and pebble-challtestsrv as its DNS."""

    def __init__(self, directory: Path, http_port: int, tls_port: int):
        self.dir = directory
        directory.mkdir(parents=True, exist_ok=True)
        # pebble ships no TLS certificate of its own in Debian: a throwaway one for 127.0.0.1.
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-days", "2", "-subj", "/CN=pebble", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                 "-keyout", "pebble.key", "-out", "pebble.pem", cwd=directory)
        self.ca = directory / "pebble.pem"
        self.port, self.mgmt_port, dns_port, dns_mgmt = (free_port() for _ in range(4))
        (directory / "pebble.json").write_text(json.dumps({"pebble": {
            "listenAddress": f"{LOCALHOST}:{self.port}",
            "managementListenAddress": f"{LOCALHOST}:{self.mgmt_port}",
            "certificate": str(self.ca), "privateKey": str(directory / "pebble.key"),
            "httpPort": http_port, "tlsPort": tls_port,
            "ocspResponderURL": "", "externalAccountBindingRequired": False}}))
        self.dns_log = open(directory / "challtestsrv.log", "wb")
        self.dns = subprocess.Popen(
            ["pebble-challtestsrv", "-defaultIPv4", LOCALHOST, "-defaultIPv6", "",
             "-dns01", f"{LOCALHOST}:{dns_port}", "-http01", "", "-https01", "", "-tlsalpn01", "",
             "-management", f"{LOCALHOST}:{dns_mgmt}"],
            stdout=self.dns_log, stderr=subprocess.STDOUT)
        self.log_path = directory / "pebble.log"
        self.log_file = open(self.log_path, "wb")
        env = dict(os.environ, PEBBLE_VA_NOSLEEP="1", PEBBLE_WFE_NONCEREJECT="0")
        self.proc = subprocess.Popen(
            ["pebble", "-config", str(directory / "pebble.json"), "-dnsserver", f"{LOCALHOST}:{dns_port}"],
            stdout=self.log_file, stderr=subprocess.STDOUT, env=env)
        wait_until(lambda: "ACME directory available" in self.log(), 15, "pebble to start")
        self.directory_url = f"https://{LOCALHOST}:{self.port}/dir"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def issuing_root(self) -> Path:
        """The root pebble made for this run (its management port), for curl --cacert."""
        ctx = ssl.create_default_context(cafile=str(self.ca))
        with urllib.request.urlopen(f"https://{LOCALHOST}:{self.mgmt_port}/roots/0", context=ctx,
                                    timeout=10) as r:
            path = self.dir / "issuing-root.pem"
            path.write_bytes(r.read())
        return path

    def orders_for(self, host: str) -> int:
        return self.log().count(f'Value:"{host}"')

    def close(self) -> None:
        for p in (self.proc, self.dns):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        self.log_file.close()
        self.dns_log.close()


@pytest.fixture
def ports():
    return free_port(), free_port()  # the edge's --listen (HTTP-01) and --listen-tls


@pytest.fixture
def pebble(tmp_path, ports):
    p = Pebble(tmp_path / "pebble", *ports)
    yield p
    p.close()


def acme_edge(relay, pebble, ports, state_dir=None, orders_per_hour=10, extra=()):
    http_port, tls_port = ports
    return relay.edge(port=http_port, state_dir=state_dir, log_level="debug", extra=[
        "--listen-tls", f"{LOCALHOST}:{tls_port}",
        "--acme-email", "ops@example.com", "--acme-directory", pebble.directory_url,
        "--acme-ca", str(pebble.ca), "--acme-orders-per-hour", str(orders_per_hour), *extra])


def https(host: str, tls_port: int, cacert: Path, path: str = "/"):
    """curl with SNI `host`, trusting only `cacert`."""
    return curl(f"https://{host}:{tls_port}{path}", "--cacert", str(cacert),
                resolve=f"{host}:{tls_port}:{LOCALHOST}", timeout=10)


def test_owned_name_gets_a_certificate_by_http01_and_a_restart_reuses_it(relay, pebble, ports, app, pki):
    _, tls_port = ports
    edge = acme_edge(relay, pebble, ports)
    relay.agent(app, edge, url="acmeapp")
    host = f"acmeapp.{DOMAIN}"

    # The first handshake cannot wait for the CA: it gets the fallback (--tls-cert) certificate
    # and starts the order.
    r = https(host, tls_port, pki.ca, "/first")
    assert r.status == 200, r
    edge.wait_for_output(r'msg="acme certificate issued" host=acmeapp\.relay\.test', timeout=ORDER_TIMEOUT)
    assert "Attempting to validate w/ HTTP" in pebble.log()

    root = pebble.issuing_root()
    r = https(host, tls_port, root, "/issued")
    assert r.status == 200, r
    assert r.body == b"ok /issued\n"
    assert app.wait_for_request("/issued")

    acme_dir = edge.state_dir / "acme"
    for name in ("account.key", f"{host}.key", f"{host}.crt"):
        assert stat.S_IMODE((acme_dir / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE(acme_dir.stat().st_mode) == 0o700

    # Restart on the same state directory: the stored certificate is served at once, no order.
    edge.stop()
    orders_before = pebble.orders_for(host)
    edge2 = acme_edge(relay, pebble, ports, state_dir=edge.state_dir)
    relay.agent(app, edge2, url="acmeapp")
    r = https(host, tls_port, root, "/after-restart")
    assert r.status == 200, r
    assert "stored=1" in edge2.log()
    time.sleep(1)
    assert "acme order" not in edge2.log()
    assert pebble.orders_for(host) == orders_before


def test_owned_name_gets_a_certificate_by_tls_alpn01_on_the_https_port(relay, pebble, ports, app, pki):
    """TLS-ALPN-01 (RFC 8737): pebble validates with a handshake to the edge's --listen-tls port
    offering only acme-tls/1; ordinary HTTPS on the same port is unaffected meanwhile."""
    _, tls_port = ports
    edge = acme_edge(relay, pebble, ports, extra=["--acme-challenge", "tls-alpn-01"])
    relay.agent(app, edge, url="alpnapp")
    host = f"alpnapp.{DOMAIN}"
    r = https(host, tls_port, pki.ca, "/first")
    assert r.status == 200, r
    edge.wait_for_output(r'msg="acme certificate issued" host=alpnapp\.relay\.test', timeout=ORDER_TIMEOUT)
    # pebble validated with an acme-tls/1 handshake (it logs no challenge type of its own).
    assert 'msg="acme tls-alpn-01 challenge answered" host=alpnapp.relay.test' in edge.log()
    assert "Attempting to validate w/ HTTP" not in pebble.log()
    r = https(host, tls_port, pebble.issuing_root(), "/issued")
    assert r.status == 200, r
    assert r.body == b"ok /issued\n"


def test_acme_tls_handshake_for_a_host_without_an_order_gets_no_challenge_certificate(relay, pebble, ports, app):
    """Anyone may offer acme-tls/1: without an order in progress for that host, the handshake
    fails (no protocol in common) instead of presenting a challenge or the host's certificate."""
    _, tls_port = ports
    edge = acme_edge(relay, pebble, ports, extra=["--acme-challenge", "tls-alpn-01"])
    relay.agent(app, edge, url="quiet")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["acme-tls/1"])
    with socket.create_connection((LOCALHOST, tls_port), timeout=10) as raw:
        with pytest.raises(ssl.SSLError):
            with ctx.wrap_socket(raw, server_hostname=f"quiet.{DOMAIN}") as tls:
                tls.do_handshake()
    assert edge.running()


def test_http01_without_a_plain_listener_is_a_clear_error(pki, pebble):
    r = subprocess.run([relay_bin(), "edge", "--listen-tls", f"{LOCALHOST}:{free_port()}", "--agent-listen",
                        f"{LOCALHOST}:{free_port()}", "--domain", DOMAIN, "--tls-cert", str(pki.edge_cert),
                        "--tls-key", str(pki.edge_key), "--acme-email", "ops@example.com",
                        "--acme-directory", pebble.directory_url, "--acme-challenge", "http-01",
                        "--authtoken", "e2etok_" + "0" * 32],
                       capture_output=True, text=True, timeout=15)
    assert r.returncode != 0
    assert "--acme-challenge" in r.stderr and "--listen 0.0.0.0:80" in r.stderr, r.stderr


def test_unowned_name_gets_the_fallback_certificate_and_no_order(relay, pebble, ports, app, pki):
    _, tls_port = ports
    edge = acme_edge(relay, pebble, ports)
    relay.agent(app, edge, url="owned")
    stranger = f"stranger.{DOMAIN}"
    for _ in range(3):
        r = https(stranger, tls_port, pki.ca)  # the fallback is the edge's --tls-cert (*.relay.test)
        assert r.status == 404, r
    edge.wait_for_output(r'msg="acme order refused" host=stranger\.relay\.test reason=not_owned')
    time.sleep(1)
    assert "acme order\" host=stranger" not in edge.log()
    assert pebble.orders_for(stranger) == 0
    assert not (edge.state_dir / "acme" / f"{stranger}.crt").exists()


def test_orders_beyond_the_hourly_limit_are_refused(relay, pebble, ports, app, pki):
    _, tls_port = ports
    edge = acme_edge(relay, pebble, ports, orders_per_hour=1)
    relay.agent(app, edge, url="first")
    relay.agent(app, edge, url="second")
    assert https(f"first.{DOMAIN}", tls_port, pki.ca).status == 200
    edge.wait_for_output(r'msg="acme certificate issued" host=first\.relay\.test', timeout=ORDER_TIMEOUT)
    assert https(f"second.{DOMAIN}", tls_port, pki.ca).status == 200
    edge.wait_for_output(r'msg="acme order refused" host=second\.relay\.test reason=rate_limited')
    assert pebble.orders_for(f"second.{DOMAIN}") == 0
    root = pebble.issuing_root()
    assert https(f"first.{DOMAIN}", tls_port, root).status == 200
    r = https(f"second.{DOMAIN}", tls_port, root)
    assert r.status == 0 and "certificate" in r.stderr, r  # still the fallback: not pebble's


def test_challenge_path_of_an_unknown_token_is_routed_as_usual(relay, pebble, ports, app):
    http_port, _ = ports
    edge = acme_edge(relay, pebble, ports)
    relay.agent(app, edge, url="plain")
    r = curl(f"http://plain.{DOMAIN}:{http_port}/.well-known/acme-challenge/nope",
             resolve=f"plain.{DOMAIN}:{http_port}:{LOCALHOST}")
    assert r.status == 200 and r.body == b"ok /.well-known/acme-challenge/nope\n", r
