"""A real local HTTP/1.1 app for end-to-end tests (threaded, keep-alive, records every request).

Routes (any method; query parameters tune them):
  /echo[...]            200, body = the request body, Content-Type copied; `X-App-Seen-Length`
  /json[...]            200, JSON {method, path, headers: [[k, v]...], body_len, body_sha256}
  /status/<code>        that status; a short body except for HEAD, 1xx, 204 and 304
  /bytes/<n>            n pattern bytes (relay_harness.pattern_bytes); ?chunked=1 streams chunks
  /sha256               reads the body (streamed, not kept), 200 JSON {len, sha256}
  /slow-read            like /sha256 but reads ?chunk=65536 bytes every ?delay=0.01 s
  /delay/<seconds>      sleeps, then 200 "slept"
  /slow-body            chunked response: ?chunks=5 pieces of "tick\\n", one every ?delay=0.2 s
  /cache                ETag "v1"; 304 when If-None-Match matches, else 200
  /set-headers?K=V&...  200 with those response headers added (e.g. Relay-Error-Code)
  anything else         200 "ok <path>"
Requests whose bodies are read by a streaming route record body=None (only len and sha256).
"""

from __future__ import annotations

import hashlib
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional
from urllib.parse import parse_qs, urlsplit

from relay_harness import pattern_bytes, wait_until


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: Optional[bytes]
    body_len: int
    body_sha256: str
    client: tuple

    def header(self, name: str) -> Optional[str]:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The head and the body go out in two writes: without TCP_NODELAY the body waits for the
    # client's delayed ACK (~40 ms on every other keep-alive request), which slowed every test
    # that delivers many requests.
    disable_nagle_algorithm = True
    server_version = "relay-e2e-app"

    def log_message(self, format, *args):  # quiet: pytest shows assertion output instead
        pass

    # -- request body --
    def _body_chunks(self, chunk: int = 65536, delay: float = 0.0):
        """Yields the request body (Content-Length or chunked) piece by piece."""
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            while True:
                size_line = self.rfile.readline(65537)
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return
                left = size
                while left:
                    piece = self.rfile.read(min(left, chunk))
                    if not piece:
                        raise ConnectionError("client closed mid-chunk")
                    left -= len(piece)
                    yield piece
                    if delay:
                        time.sleep(delay)
                self.rfile.readline(3)  # CRLF after the chunk
        else:
            left = int(self.headers.get("Content-Length") or 0)
            while left:
                piece = self.rfile.read(min(left, chunk))
                if not piece:
                    raise ConnectionError("client closed mid-body")
                left -= len(piece)
                yield piece
                if delay:
                    time.sleep(delay)

    def _record(self, body: Optional[bytes], length: int, digest: str) -> None:
        self.server.app._record(RecordedRequest(self.command, self.path, list(self.headers.items()), body, length,
                                                digest, self.client_address))

    def _read_and_record(self, keep: bool = True, chunk: int = 65536, delay: float = 0.0) -> tuple[bytes, int, str]:
        h = hashlib.sha256()
        kept = bytearray()
        n = 0
        for piece in self._body_chunks(chunk, delay):
            h.update(piece)
            n += len(piece)
            if keep:
                kept += piece
        body = bytes(kept) if keep else None
        self._record(body, n, h.hexdigest())
        return (body or b""), n, h.hexdigest()

    # -- response helpers --
    def _send(self, status: int, body: bytes = b"", content_type: str = "text/plain", headers: dict = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        no_body = self.command == "HEAD" or status in (204, 304) or status < 200
        if status not in (204, 304) and status >= 200:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not no_body:
            self.wfile.write(body)

    def _send_chunked(self, pieces, status: int = 200, content_type: str = "application/octet-stream") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if self.command == "HEAD":
            return
        for piece in pieces:
            if piece:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    # -- routing --
    def _handle(self) -> None:
        url = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        parts = [p for p in url.path.split("/") if p]
        route = parts[0] if parts else ""
        streaming = route in ("sha256", "slow-read")
        if streaming:
            chunk = int(q.get("chunk", 65536))
            delay = float(q.get("delay", 0.01)) if route == "slow-read" else 0.0
            _, n, digest = self._read_and_record(keep=False, chunk=chunk, delay=delay)
            self._send(200, json.dumps({"len": n, "sha256": digest}).encode(), "application/json")
            return
        body, n, digest = self._read_and_record()
        if route == "echo":
            self._send(200, body, self.headers.get("Content-Type") or "application/octet-stream",
                       {"X-App-Seen-Length": str(n)})
        elif route == "json":
            self._send(200, json.dumps({"method": self.command, "path": self.path, "headers": list(self.headers.items()),
                                        "body_len": n, "body_sha256": digest}).encode(), "application/json")
        elif route == "status":
            code = int(parts[1])
            self._send(code, f"status {code}\n".encode())
        elif route == "bytes":
            data = pattern_bytes(int(parts[1]), int(q.get("seed", 0)))
            if q.get("chunked"):
                step = int(q.get("chunk", 65536))
                self._send_chunked(data[i:i + step] for i in range(0, len(data), step))
            else:
                self._send(200, data, "application/octet-stream")
        elif route == "delay":
            time.sleep(float(parts[1]))
            self._send(200, b"slept\n")
        elif route == "slow-body":
            chunks, delay = int(q.get("chunks", 5)), float(q.get("delay", 0.2))

            def ticks():
                for i in range(chunks):
                    if i:
                        time.sleep(delay)
                    yield b"tick %d\n" % i

            self._send_chunked(ticks(), content_type="text/plain")
        elif route == "cache":
            if self.headers.get("If-None-Match") == '"v1"':
                self._send(304, headers={"ETag": '"v1"'})
            else:
                self._send(200, b"cached content\n", headers={"ETag": '"v1"'})
        elif route == "set-headers":
            self._send(200, b"headers set\n", headers=q)
        else:
            self._send(200, f"ok {url.path}\n".encode())

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default listen backlog is 5: an agent opening 50 connections at once (the
    # reset tests) had the rest of its SYNs dropped and retried after 1, 3, 7 and 15 s, and a
    # request waiting for the 15 s retry failed its test by timeout, not by anything relay did.
    request_queue_size = 128

    def __init__(self, address, family: int, v6only: bool):
        self.address_family = family
        self._v6only = v6only
        super().__init__(address, _Handler)

    def server_bind(self):
        if self.address_family == socket.AF_INET6 and self._v6only:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()


class App:
    """The app behind a tunnel. `App(host="::1")` listens on IPv6 loopback only; `tls=(cert, key)`
    serves https with that (self-signed) certificate."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, tls: Optional[tuple] = None):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.host = host
        self.server = _Server((host, port), family, v6only=True)
        self.server.app = self
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(tls[0]), str(tls[1]))
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.scheme = "https" if tls else "http"
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    def _record(self, r: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(r)

    def requests_to(self, prefix: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith(prefix)]

    def wait_for_request(self, prefix: str, timeout: float = 10) -> RecordedRequest:
        return wait_until(lambda: self.requests_to(prefix), timeout, f"a request to {prefix} at the app")[-1]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
