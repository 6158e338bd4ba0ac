"""Issue 14 item 1: Prometheus metrics. `relay edge --metrics-listen ADDR` serves /metrics, and
the agent's inspector serves /metrics too. Real processes: an edge, an agent verifying TikTok
signatures, the test app, curl; Debian's `promtool check metrics` lints both outputs, and real
requests move the counters they should."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from inspector_client import WEB_RX, tiktok_signature
from relay_harness import LOCALHOST, Tunnel, free_port, relay_bin, wait_until

pytestmark = pytest.mark.needs_flag("edge", "--metrics-listen")

SECRET = "e2e-metrics-secret"
ROOT = Path(__file__).resolve().parents[2]


def promtool() -> str | None:
    """Debian's promtool: on PATH, or unpacked by scripts/install-deps.sh into .cache/tools."""
    found = shutil.which("promtool")
    if found:
        return found
    local = ROOT / ".cache" / "tools" / "bin" / "promtool"
    return str(local) if local.exists() else None


def fetch(url: str, method: str = "GET") -> tuple[int, str, str]:
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, res.headers.get("Content-Type", ""), res.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def lint(text: str) -> None:
    tool = promtool()
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing: scripts/install-deps.sh unpacks it from Debian's prometheus package")
        pytest.skip("promtool not installed (scripts/install-deps.sh unpacks it)")
    check = subprocess.run([tool, "check", "metrics"], input=text.encode(), capture_output=True, timeout=60)
    assert check.returncode == 0, f"promtool check metrics:\n{check.stdout.decode()}{check.stderr.decode()}\n{text}"


def value(text: str, name: str, **labels: str) -> float:
    """The sample `name{labels}` (labels matched exactly, in any order); 0 when absent."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$", line)
        if not m or m[1] != name:
            continue
        found = dict(re.findall(r'([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"', m[3] or ""))
        if found == labels:
            return float(m[4])
    return 0.0


def signed(body: bytes, secret: str = SECRET) -> list[str]:
    return ["-X", "POST", "-H", f"TikTok-Signature: {tiktok_signature(secret, body, int(time.time()))}",
            "--data-binary", body.decode()]


def test_edge_and_agent_metrics_lint_and_count_real_requests(relay, app, tmp_path):
    metrics_port = free_port()
    edge = relay.edge(extra=["--metrics-listen", f"{LOCALHOST}:{metrics_port}"])
    edge.wait_for_output(rf"metrics=http://127.0.0.1:{metrics_port}/metrics")
    agent = relay.agent(app, edge, inspect=True,
                        extra=["--inspect", "127.0.0.1:0", "--state-dir", str(tmp_path / "state"),
                               "--verify-webhook", "tiktok", "--verify-webhook-secret", SECRET])
    inspector = agent.wait_for_output(WEB_RX)[1]
    name = agent.public_url.split("//")[1].split(".")[0]
    edge_url = f"http://{LOCALHOST}:{metrics_port}/metrics"

    status, content_type, before = fetch(edge_url)
    assert status == 200 and content_type.startswith("text/plain; version=0.0.4"), (status, content_type)
    lint(before)
    assert value(before, "relay_edge_sessions") == 1
    assert value(before, "relay_edge_agent_connects_total", result="connected") == 1

    body = b'{"event":"video.publish"}'
    assert agent.tunnel.curl("/hook", *signed(body)).status == 200
    assert agent.tunnel.curl("/hook", *signed(body, "wrong-secret")).status == 403
    unknown = relay_curl_unknown(edge)
    assert unknown == 404

    _, _, after = fetch(edge_url)
    lint(after)
    assert value(after, "relay_edge_requests_total", tunnel=name, code="2xx") == 1, after
    assert value(after, "relay_edge_requests_total", tunnel=name, code="4xx") == 1, after
    assert value(after, "relay_edge_relay_errors_total", code="RELAY_TUNNEL_NOT_FOUND") == 1, after
    assert value(after, "relay_edge_received_bytes_total", tunnel=name) == 2 * len(body), after
    assert value(after, "relay_edge_request_duration_seconds_count", tunnel=name) == 2, after
    assert value(after, "relay_edge_sent_bytes_total", tunnel=name) > 0, after

    status, content_type, agent_text = fetch(inspector + "/metrics")
    assert status == 200 and content_type.startswith("text/plain; version=0.0.4"), (status, agent_text)
    lint(agent_text)
    tunnel = agent_text and re.search(r'relay_agent_requests_total\{tunnel="([^"]+)"', agent_text)[1]
    assert value(agent_text, "relay_agent_requests_total", tunnel=tunnel, code="2xx") == 1, agent_text
    assert value(agent_text, "relay_agent_requests_total", tunnel=tunnel, code="4xx") == 1, agent_text
    assert value(agent_text, "relay_agent_verifications_total", provider="tiktok", verdict="valid") == 1
    assert sum(value(agent_text, "relay_agent_verifications_total", provider="tiktok", verdict=v)
               for v in re.findall(r'provider="tiktok",verdict="([a-z_]+)"', agent_text)) == 2, agent_text
    assert value(agent_text, "relay_agent_relay_errors_total", tunnel=tunnel,
                 code="RELAY_WEBHOOK_SIGNATURE_INVALID") == 1, agent_text
    assert value(agent_text, "relay_agent_session_connected") == 1


def relay_curl_unknown(edge) -> int:
    return Tunnel(edge.url_for("nobody-here")).curl("/").status


def run_relay(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([relay_bin(), *args], capture_output=True, text=True, timeout=30)


def test_metrics_listener_serves_only_get_metrics(relay):
    metrics_port = free_port()
    relay.edge(extra=["--metrics-listen", f"{LOCALHOST}:{metrics_port}"])
    wait_until(lambda: fetch(f"http://{LOCALHOST}:{metrics_port}/metrics")[0] == 200, 10, "the metrics listener")
    status, _, text = fetch(f"http://{LOCALHOST}:{metrics_port}/other")
    assert status == 404 and "GET /metrics" in text
    status, _, text = fetch(f"http://{LOCALHOST}:{metrics_port}/metrics", method="POST")
    assert status == 405 and "GET /metrics" in text


def test_bad_metrics_address_is_a_clear_error(relay, tmp_path):
    result = run_relay("edge", "--metrics-listen", "nonsense", "--tls-cert", str(relay.pki.edge_cert),
                       "--tls-key", str(relay.pki.edge_key))
    assert result.returncode != 0
    assert "--metrics-listen" in result.stderr and "HOST:PORT" in result.stderr, result.stderr
    config = tmp_path / "edge.yml"
    config.write_text("version: 1\nmetrics_listen: 9090\n")
    check = run_relay("config", "check", "--edge", str(config))
    assert check.returncode != 0 and "edge.yml:2" in check.stderr + check.stdout, check.stderr + check.stdout
