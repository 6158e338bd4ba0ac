import pytest
"""Issue 2: request and response bodies (Content-Length, chunked, large), HEAD, 204, 304,
Expect: 100-continue."""

import json
import subprocess
import time

from relay_harness import pattern_bytes, sha256, write_pattern_file

MiB = 1 << 20


def test_post_with_content_length(app, tunnel):
    body = pattern_bytes(5000, seed=1)
    r = tunnel.curl("/echo/cl", "--data-binary", "@-", "-H", "Content-Type: application/octet-stream", input=body)
    assert r.status == 200, r
    assert r.body == body
    seen = app.wait_for_request("/echo/cl")
    assert seen.body == body


def test_post_chunked(app, tunnel):
    body = pattern_bytes(300_000, seed=2)
    r = tunnel.curl("/echo/chunked", "--data-binary", "@-", "-H", "Transfer-Encoding: chunked", input=body)
    assert r.status == 200, r
    assert r.body == body
    seen = app.wait_for_request("/echo/chunked")
    assert seen.body == body


def test_empty_post(app, tunnel):
    r = tunnel.curl("/echo/empty", "-X", "POST", "-H", "Content-Length: 0")
    assert r.status == 200, r
    assert r.body == b""


def test_large_upload_integrity(app, tunnel, tmp_path):
    digest = write_pattern_file(tmp_path / "up.bin", 20 * MiB, seed=3)
    r = tunnel.curl("/sha256", "--data-binary", f"@{tmp_path / 'up.bin'}", timeout=120)
    assert r.status == 200, r
    assert r.json() == {"len": 20 * MiB, "sha256": digest}


def test_large_chunked_upload_integrity(app, tunnel, tmp_path):
    digest = write_pattern_file(tmp_path / "up.bin", 20 * MiB, seed=4)
    r = tunnel.curl("/sha256", "-T", str(tmp_path / "up.bin"), "-X", "POST", "-H", "Transfer-Encoding: chunked",
                    timeout=120)
    assert r.status == 200, r
    assert r.json() == {"len": 20 * MiB, "sha256": digest}


def test_large_download_integrity_content_length(tunnel):
    n = 20 * MiB
    r = tunnel.curl(f"/bytes/{n}?seed=5", timeout=120)
    assert r.status == 200, r
    assert r.header("Content-Length") == str(n)
    assert len(r.body) == n
    assert sha256(r.body) == sha256(pattern_bytes(n, seed=5))


def test_large_download_integrity_chunked(tunnel):
    n = 20 * MiB + 123
    r = tunnel.curl(f"/bytes/{n}?seed=6&chunked=1", timeout=120)
    assert r.status == 200, r
    assert len(r.body) == n
    assert sha256(r.body) == sha256(pattern_bytes(n, seed=6))


def test_head_has_headers_and_no_body(app, tunnel, tmp_path):
    # One curl, one connection: HEAD, then GET. Body bytes after the HEAD response would corrupt
    # the GET that follows on the same connection.
    head, body = tmp_path / "head", tmp_path / "body"
    w = ["-w", "%{http_code} %{num_connects}\\n"]
    argv = ["curl", "-sS", "--max-time", "20", *tunnel.curl_argv(), "-I", "-D", str(head), "-o", "/dev/null", *w,
            tunnel.url("/bytes/4096"), "--next", "-sS", "--max-time", "20", *tunnel.curl_argv(), "-o", str(body), *w,
            tunnel.url("/bytes/10?seed=9")]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert r.stdout == "200 1\n200 0\n", (r.stdout, r.stderr)
    assert "content-length: 4096" in head.read_text().lower(), head.read_text()
    assert body.read_bytes() == pattern_bytes(10, seed=9)
    assert app.wait_for_request("/bytes/4096").method == "HEAD"


def test_204_no_content(tunnel):
    r = tunnel.curl("/status/204", "-X", "DELETE")
    assert r.status == 204, r
    assert r.body == b""
    assert r.exit_code == 0, r


def test_304_not_modified(tunnel):
    r = tunnel.curl("/cache")
    assert r.status == 200 and r.header("ETag") == '"v1"', r
    r = tunnel.curl("/cache", "-H", 'If-None-Match: "v1"')
    assert r.status == 304, r
    assert r.header("ETag") == '"v1"'
    assert r.body == b""
    assert r.exit_code == 0, r


def test_expect_100_continue(app, tunnel, tmp_path):
    body = pattern_bytes(2 * MiB, seed=7)
    (tmp_path / "b.bin").write_bytes(body)
    # curl waits up to --expect100-timeout for "100 Continue" before sending the body anyway.
    r = tunnel.curl("/sha256", "--data-binary", f"@{tmp_path / 'b.bin'}", "-H", "Expect: 100-continue",
                    "--expect100-timeout", "20", "-v")
    assert r.status == 200, r
    assert r.json() == {"len": len(body), "sha256": sha256(body)}
    assert r.elapsed < 10, f"relay did not answer Expect: 100-continue (curl waited {r.elapsed:.1f}s)"


def test_response_body_streams_before_it_ends(tunnel):
    # The app writes 4 chunks 1.5 s apart (4.5 s in all): curl must get the first one long before
    # the app writes the last, or the body was buffered somewhere.
    argv = ["curl", "-sS", "-N", "--max-time", "30", *tunnel.curl_argv(), tunnel.url("/slow-body?chunks=4&delay=1.5")]
    started = time.monotonic()
    with subprocess.Popen(argv, stdout=subprocess.PIPE) as p:
        first = p.stdout.readline()
        first_at = time.monotonic() - started
        rest = p.stdout.read()
    assert first == b"tick 0\n"
    assert rest == b"tick 1\ntick 2\ntick 3\n"
    assert first_at < 2.5, f"first chunk after {first_at:.2f}s of 4.5: the response body was buffered"


def test_json_body_survives(app, tunnel):
    doc = {"event": "ping", "items": list(range(200)), "text": "\u00e9\u00e8\u4e2d"}
    raw = json.dumps(doc).encode()
    r = tunnel.curl("/json/post", "--data-binary", "@-", "-H", "Content-Type: application/json", input=raw)
    assert r.status == 200, r
    assert r.json()["body_sha256"] == sha256(raw)
