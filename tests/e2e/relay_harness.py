"""End-to-end harness for relay: real processes on loopback, real curl, a throwaway PKI.

Everything here is plain Python (no pytest import), so bench/ and ad-hoc scripts can use it too.
The pytest fixtures that wrap it live in conftest.py; README.md shows how to write a test.
"""

from __future__ import annotations

import functools
import hashlib
import os
import random
import re
import secrets
import shlex
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional, TypeVar

T = TypeVar("T")

SOURCE_DIR = Path(os.environ.get("RELAY_SOURCE_DIR") or Path(__file__).resolve().parents[2])
DOMAIN = "relay.test"  # the edge's domain in tests: tunnels are http://<name>.relay.test:<port>
LOCALHOST = "127.0.0.1"


def relay_bin() -> str:
    """The relay binary under test: $RELAY_BIN (ctest sets it), else the newest build-*/relay."""
    env = os.environ.get("RELAY_BIN")
    if env:
        return env
    builds = sorted(SOURCE_DIR.glob("build*/relay"), key=lambda p: p.stat().st_mtime, reverse=True)
    if not builds:
        raise RuntimeError("set RELAY_BIN to the relay binary (no build*/relay found)")
    return str(builds[0])


# --------------------------------------------------------------------------------------------
# Waiting, ports


def wait_until(predicate: Callable[[], T], timeout: float, what: str, interval: float = 0.02) -> T:
    """Polls `predicate` until it returns something truthy (returned) or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(interval)


# Ports for servers a test starts come from below the kernel's ephemeral range (32768-60999 on
# Debian), so no outgoing connection of a parallel test can take one between our choice and the
# server's bind, and each is claimed with an O_EXCL file shared by every test process, so two
# tests (or two servers of one test) are never handed the same port. bind-to-0-and-close alone
# raced in CI: two calls in one edge returned the same port, and its second listener failed.
_PORT_RANGE = (20000, 32000)
_PORT_CLAIMS = Path(tempfile.gettempdir()) / "relay-e2e-ports"
_PORT_CLAIM_SECONDS = 900  # a claim older than this belongs to a finished test


def _claim_port(port: int) -> bool:
    claim = _PORT_CLAIMS / str(port)
    try:
        os.close(os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        return True
    except FileExistsError:
        try:
            if time.time() - claim.stat().st_mtime < _PORT_CLAIM_SECONDS:
                return False
            os.replace(claim, claim.with_suffix(f".stale{os.getpid()}"))  # only one process wins
            os.unlink(claim.with_suffix(f".stale{os.getpid()}"))
        except FileNotFoundError:
            return False
        return _claim_port(port)


def free_port(host: str = LOCALHOST) -> int:
    """A port no other test was given in the last quarter hour, and free right now."""
    _PORT_CLAIMS.mkdir(mode=0o700, exist_ok=True)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    rng = random.SystemRandom()
    for _ in range(2000):
        port = rng.randrange(*_PORT_RANGE)
        if not _claim_port(port):
            continue
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((host, port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free port in {_PORT_RANGE} after 2000 tries; clear {_PORT_CLAIMS}")


def listening_ports() -> set[int]:
    """Ports in LISTEN state on this host, read from /proc (no connection made, nothing logged)."""
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if parts[3] == "0A":  # TCP_LISTEN
                        ports.add(int(parts[1].rsplit(":", 1)[1], 16))
        except FileNotFoundError:
            pass
    return ports


def is_listening(port: int) -> bool:
    return port in listening_ports()


# --------------------------------------------------------------------------------------------
# A throwaway PKI made with the openssl CLI


def _openssl(*args: str, cwd: Path) -> None:
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed: {r.stderr}")


class Pki:
    """A CA, an edge certificate it signed (SAN IP:127.0.0.1, DNS:localhost, DNS:*.relay.test),
    a second CA that signed nothing (for wrong-certificate tests) and a self-signed certificate
    for an https upstream app. All files live in `directory`."""

    def __init__(self, directory: Path):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        d = self.dir
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        ca_ext = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
        _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                 "-subj", "/CN=relay e2e test CA", *ca_ext, cwd=d)
        _openssl("req", "-x509", *ec, "-keyout", "wrong-ca.key", "-out", "wrong-ca.pem", "-days", "2",
                 "-subj", "/CN=relay e2e unrelated CA", *ca_ext, cwd=d)
        _openssl("req", *ec, "-keyout", "edge.key", "-out", "edge.csr", "-subj", "/CN=localhost", cwd=d)
        (d / "edge.ext").write_text(
            f"subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:{DOMAIN},DNS:*.{DOMAIN}\n"
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
            "extendedKeyUsage=serverAuth\n")
        _openssl("x509", "-req", "-in", "edge.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", "edge.pem", "-days", "2", "-extfile", "edge.ext", cwd=d)
        _openssl("req", "-x509", *ec, "-keyout", "app.key", "-out", "app.pem", "-days", "2",
                 "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost", cwd=d)
        self.ca = d / "ca.pem"
        self.wrong_ca = d / "wrong-ca.pem"
        self.edge_cert = d / "edge.pem"
        self.edge_key = d / "edge.key"
        self.app_cert = d / "app.pem"
        self.app_key = d / "app.key"


def new_authtoken() -> str:
    """A token that is easy to grep for in logs (it must never appear there)."""
    return "e2etok_" + secrets.token_hex(16)


# --------------------------------------------------------------------------------------------
# relay processes


@functools.lru_cache(maxsize=None)
def command_help(*command: str) -> str:
    try:
        r = subprocess.run([relay_bin(), *command, "--help"], capture_output=True, text=True, timeout=20)
    except (OSError, RuntimeError):
        return ""  # no binary: the session fixture reports that, once
    return r.stdout + r.stderr


def has_flag(command: str, flag: str) -> bool:
    """Whether `relay <command> --help` lists `flag` (for tests of flags not built yet)."""
    return re.search(rf"(^|[\s,]){re.escape(flag)}([\s,=\[]|$)", command_help(command), re.M) is not None


class RelayProcess:
    """One relay process. stdout and stderr (the log: `--log stderr --log-format logfmt`) go to
    files under `log_dir`, so a test can read them while the process runs."""

    def __init__(self, role: str, args: list[str], log_dir: Path, env: Optional[dict] = None,
                 log_level: str = "info"):
        self.role = role
        self.args = list(args)
        log_dir = Path(log_dir)
        log_dir.mkdir(parents=True, exist_ok=True)
        stem = f"{role}-{int(time.monotonic() * 1000) % 10_000_000}-{secrets.token_hex(2)}"
        self.stdout_path = log_dir / f"{stem}.stdout"
        self.log_path = log_dir / f"{stem}.log"
        self.argv = [relay_bin(), "--log", "stderr", "--log-format", "logfmt", "--log-level", log_level, *args]
        run_env = dict(os.environ)
        # State (captures database, config) under the test's own directory, never the user's.
        home = log_dir / "home"
        home.mkdir(exist_ok=True)
        run_env.update(HOME=str(home), XDG_STATE_HOME=str(home / "state"), XDG_CONFIG_HOME=str(home / "config"))
        run_env.update(env or {})
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self._out, stderr=self._err,
                                     env=run_env)
        self.pid = self.proc.pid
        self.exit_code: Optional[int] = None

    def __repr__(self) -> str:
        return f"<{self.role} pid={self.pid} {shlex.join(self.argv[1:])}>"

    # -- output --
    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def output(self) -> str:
        """stdout and log together: for messages that may go to either."""
        return self.stdout() + self.log()

    def log_records(self) -> list[dict]:
        return [parse_logfmt(line) for line in self.log().splitlines() if line.strip()]

    def wait_for_output(self, pattern: str, timeout: float = 15, flags: int = 0) -> re.Match:
        """Polls stdout+log for a regex; fails early with the output if the process exits."""
        rx = re.compile(pattern, flags)

        def check():
            m = rx.search(self.output())
            if not m and not self.running():
                m = rx.search(self.output())  # last words written just before exit
                if not m:
                    raise AssertionError(f"{self} exited ({self.proc.returncode}) before printing "
                                         f"/{pattern}/; output:\n{self.tail()}")
            return m

        try:
            return wait_until(check, timeout, f"/{pattern}/ in the output of {self}")
        except TimeoutError as e:
            raise AssertionError(f"{e}; output:\n{self.tail()}") from None

    def tail(self, lines: int = 40) -> str:
        out = self.stdout().splitlines()[-lines:]
        log = self.log().splitlines()[-lines:]
        return "--- stdout ---\n" + "\n".join(out) + "\n--- log ---\n" + "\n".join(log)

    # -- lifecycle --
    def running(self) -> bool:
        return self.proc.poll() is None

    def send_signal(self, sig: int) -> None:
        if self.running():
            os.kill(self.pid, sig)

    def wait(self, timeout: float) -> int:
        self.exit_code = self.proc.wait(timeout=timeout)
        return self.exit_code

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int:
        """Sends `sig`, waits up to `timeout`, then SIGKILLs. Returns the exit code (negative: the
        signal that killed it, as subprocess reports it)."""
        if self.running():
            os.kill(self.pid, sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.exit_code = self.proc.returncode
        self._out.close()
        self._err.close()
        return self.exit_code

    def kill(self) -> int:
        return self.stop(signal.SIGKILL)

    def rss(self) -> dict[str, int]:
        return proc_memory_kib(self.pid)


class RedisServer:
    """cluster: a real redis-server (Debian's) on a free loopback port, as docs/cluster.md
    deploys it (AOF, fsync always), in its own directory; stopped by its PID. start() again on
    the same port and directory brings the same data back (the AOF)."""

    def __init__(self, directory: Path, port: int = 0):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.proc: Optional[subprocess.Popen] = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://{LOCALHOST}:{self.port}/0"

    def start(self, timeout: float = 10) -> None:
        log = open(self.dir / "redis.log", "ab")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", LOCALHOST, "--save", "", "--appendonly", "yes",
             "--appendfsync", "always", "--dir", str(self.dir)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        wait_until(lambda: self.cli("PING").strip() == "PONG", timeout, f"redis-server on port {self.port}")

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL, by PID: Redis dies as a crashed host would."""
        if self.running():
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def cli(self, *args: str) -> str:
        """`redis-cli -p PORT ARGS...`'s output ("" when Redis does not answer)."""
        r = subprocess.run(["redis-cli", "-h", LOCALHOST, "-p", str(self.port), *args], capture_output=True,
                           text=True, timeout=10)
        return r.stdout if r.returncode == 0 else ""

    def keys(self, pattern: str) -> list[str]:
        return sorted(line for line in self.cli("--scan", "--pattern", pattern).splitlines() if line)


class HAProxy:
    """cluster: Debian's haproxy in TCP mode in front of several edges' public ports, as an
    operator deploys it (docs/cluster.md): round robin, health checks on each public port
    (`check inter 500ms fall 2 rise 1`: a dead edge is out within about a second, back at its
    first good check), `option redispatch` + `retries 3` (a connection refused by a dead edge is
    tried on another). The config goes to `directory/haproxy.cfg`; haproxy runs in the
    foreground (`-db`) and is stopped by its PID. `server_states()` reads the runtime API."""

    BINARY = "/usr/sbin/haproxy"

    def __init__(self, directory: Path, backends: dict[str, int], port: int = 0):
        """`backends`: server name -> the edge's public port on 127.0.0.1."""
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.backends = dict(backends)
        # A unix socket path must fit in 108 bytes: pytest's tmp dirs can be longer.
        self._sock_dir = Path(tempfile.mkdtemp(prefix="relay-hap-"))
        self.socket_path = self._sock_dir / "admin.sock"
        self.config_path = self.dir / "haproxy.cfg"
        self.config_path.write_text(self.config())
        self.proc: Optional[subprocess.Popen] = None
        self.start()

    @staticmethod
    def installed() -> bool:
        return os.access(HAProxy.BINARY, os.X_OK)

    def config(self) -> str:
        servers = "".join(f"    server {name} {LOCALHOST}:{port} check inter 500ms fall 2 rise 1\n"
                          for name, port in self.backends.items())
        return f"""global
    maxconn 4096
    stats socket {self.socket_path} mode 600 level admin

defaults
    mode tcp
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout check 1s
    retries 3
    option redispatch

frontend public
    bind {LOCALHOST}:{self.port}
    default_backend edges

backend edges
    balance roundrobin
{servers}"""

    def start(self, timeout: float = 10) -> None:
        check = subprocess.run([self.BINARY, "-c", "-q", "-f", str(self.config_path)], capture_output=True,
                               text=True, timeout=30)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy refused {self.config_path}: {check.stdout}{check.stderr}")
        log = open(self.dir / "haproxy.log", "ab")
        self.proc = subprocess.Popen([self.BINARY, "-db", "-f", str(self.config_path)], stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=log)
        log.close()

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"haproxy exited ({self.proc.returncode}):\n{self.log()}")
            return is_listening(self.port)

        wait_until(ready, timeout, f"haproxy to listen on {self.port}")

    def log(self) -> str:
        return (self.dir / "haproxy.log").read_text(errors="replace")

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.running():
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.socket_path.unlink(missing_ok=True)
        try:
            self._sock_dir.rmdir()
        except OSError:
            pass

    def admin(self, command: str) -> str:
        """One command on the runtime API (e.g. `show stat`); "" when haproxy does not answer."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(5)
                s.connect(str(self.socket_path))
                s.sendall(command.encode() + b"\n")
                out = b""
                while True:
                    piece = s.recv(65536)
                    if not piece:
                        break
                    out += piece
            return out.decode(errors="replace")
        except OSError:
            return ""

    def server_states(self) -> dict[str, str]:
        """Each backend server's status as haproxy sees it: "UP", "DOWN", "UP 1/2", ..."""
        lines = self.admin("show stat").splitlines()
        if not lines:
            return {}
        columns = lines[0].lstrip("# ").split(",")
        states = {}
        for line in lines[1:]:
            row = dict(zip(columns, line.split(",")))
            if row.get("pxname") == "edges" and row.get("svname") in self.backends:
                states[row["svname"]] = row.get("status", "")
        return states

    def wait_servers(self, expected: dict[str, str], timeout: float = 15) -> None:
        """Waits until each named server's status starts with the expected word (UP/DOWN)."""
        wait_until(lambda: all(self.server_states().get(k, "").startswith(v) for k, v in expected.items()),
                   timeout, f"haproxy servers {expected} (now {self.server_states()})", interval=0.1)


class Edge(RelayProcess):
    """`relay edge` on loopback: public HTTP on `port`, agents (TLS) on `agent_port`."""

    def __init__(self, pki: Pki, authtoken: Optional[str], log_dir: Path, port: int = 0, agent_port: int = 0,
                 domain: str = DOMAIN, extra: Iterable[str] = (), state_dir: Optional[Path] = None,
                 agent_host: str = LOCALHOST, **kw):
        """`state_dir`: the edge's --state-dir (name ownership); default a fresh directory under
        `log_dir`, so edges never share state. Pass an earlier edge's `state_dir` to restart it.
        `agent_host`: the loopback address of the agent port (another edge may have the same
        port on another address)."""
        self.port = port or free_port()
        self.agent_port = agent_port or free_port()
        self.agent_host = agent_host
        self.domain = domain
        self.pki = pki
        self.authtoken = authtoken
        self.state_dir = Path(state_dir) if state_dir else Path(log_dir) / f"edge-state-{secrets.token_hex(4)}"
        args = ["edge", "--listen", f"{LOCALHOST}:{self.port}", "--agent-listen", f"{agent_host}:{self.agent_port}",
                "--domain", domain, "--tls-cert", str(pki.edge_cert), "--tls-key", str(pki.edge_key)]
        if has_flag("edge", "--state-dir"):
            args += ["--state-dir", str(self.state_dir)]
        if authtoken:
            args += ["--authtoken", authtoken]
        args += list(extra)
        super().__init__("edge", args, log_dir, **kw)

    @property
    def agent_addr(self) -> str:
        return f"{self.agent_host}:{self.agent_port}"

    def wait_ready(self, timeout: float = 15) -> "Edge":
        def ready():
            if not self.running():
                raise AssertionError(f"{self} exited ({self.proc.returncode}) during start-up:\n{self.tail()}")
            ports = listening_ports()
            return self.port in ports and self.agent_port in ports

        try:
            wait_until(ready, timeout, f"{self} to listen on {self.port} and {self.agent_port}")
        except TimeoutError as e:
            raise AssertionError(f"{e}\n{self.tail()}") from None
        return self

    def url_for(self, name: str) -> str:
        return f"http://{name}.{self.domain}:{self.port}"


FORWARDING_RX = r"Forwarding\s+(?P<url>\S+)\s+->\s+(?P<upstream>\S+)"


class Agent(RelayProcess):
    """`relay http UPSTREAM ...`. With `edge` set: `--edge ADDR --authtoken T --edge-ca CA`; with
    `edge=None`: the embedded default (no --edge)."""

    def __init__(self, upstream: str, log_dir: Path, edge: Optional[Edge] = None, authtoken: Optional[str] = None,
                 edge_ca: Optional[Path] = None, url: Optional[str] = None, extra: Iterable[str] = (),
                 edge_addr: Optional[str] = None, inspect: bool = False, **kw):
        args = ["http", upstream]
        if edge is not None or edge_addr:
            args += ["--edge", edge_addr or edge.agent_addr]
            token = authtoken if authtoken is not None else (edge.authtoken if edge else None)
            if token:
                args += ["--authtoken", token]
            ca = edge_ca if edge_ca is not None else (edge.pki.ca if edge else None)
            if ca:
                args += ["--edge-ca", str(ca)]
        if url:
            args += ["--url", url]
        # The inspector would take 127.0.0.1:4040 (or the next port): tests run many agents at once.
        if not inspect and has_flag("http", "--inspect"):
            args += ["--inspect=false"]
        args += list(extra)
        super().__init__("agent", args, log_dir, **kw)
        self.edge = edge
        self.public_url: Optional[str] = None
        self.upstream_shown: Optional[str] = None

    def wait_ready(self, timeout: float = 20) -> "Agent":
        """Waits for `Forwarding  <url> -> <upstream>` on stdout."""
        def forwarding():
            m = re.search(FORWARDING_RX, self.stdout())
            if not m and not self.running():
                m = re.search(FORWARDING_RX, self.stdout())
                if not m:
                    raise AssertionError(f"{self} exited ({self.proc.returncode}) before printing the "
                                         f"Forwarding line:\n{self.tail()}")
            return m

        try:
            m = wait_until(forwarding, timeout, f"the Forwarding line of {self} on stdout")
        except TimeoutError as e:
            raise AssertionError(f"{e}\n{self.tail()}") from None
        self.public_url = m["url"]
        self.upstream_shown = m["upstream"]
        return self

    @property
    def tunnel(self) -> "Tunnel":
        assert self.public_url, "call wait_ready() first"
        return Tunnel(self.public_url)


# --------------------------------------------------------------------------------------------
# curl


@dataclass
class Response:
    status: int
    headers: dict[str, list[str]]  # lower-case names; the final response's block only
    body: bytes
    stderr: str
    exit_code: int
    elapsed: float
    write_out: str = ""

    def header(self, name: str) -> Optional[str]:
        values = self.headers.get(name.lower())
        return values[-1] if values else None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        import json
        return json.loads(self.body)

    def __repr__(self) -> str:
        return (f"<Response {self.status} curl_exit={self.exit_code} headers={self.headers} "
                f"body={self.body[:300]!r} stderr={self.stderr[-500:]!r}>")


def parse_header_blocks(raw: bytes) -> list[tuple[int, dict[str, list[str]]]]:
    blocks = []
    for block in re.split(rb"\r?\n\r?\n", raw):
        lines = block.decode("latin-1").splitlines()
        if not lines or not lines[0].startswith("HTTP/"):
            continue
        status = int(lines[0].split()[1])
        headers: dict[str, list[str]] = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers.setdefault(k.strip().lower(), []).append(v.strip())
        blocks.append((status, headers))
    return blocks


def curl(url: str, *args: str, timeout: float = 30, resolve: Optional[str] = None, input: Optional[bytes] = None,
         write_out: str = "") -> Response:
    """Runs real curl once: `curl -sS [--resolve ...] ARGS URL`. Never raises on HTTP errors;
    status 0 means curl got no response (see `exit_code`/`stderr`)."""
    with tempfile.TemporaryDirectory(prefix="relay-curl-") as tmp:
        body_path, head_path = os.path.join(tmp, "body"), os.path.join(tmp, "head")
        argv = ["curl", "-sS", "--max-time", str(timeout), "-o", body_path, "-D", head_path,
                "-w", "%{http_code}\\n" + write_out]
        if resolve:
            argv += ["--resolve", resolve]
        argv += [*args, url]
        started = time.monotonic()
        r = subprocess.run(argv, input=input, capture_output=True, timeout=timeout + 10)
        elapsed = time.monotonic() - started
        head = Path(head_path).read_bytes() if os.path.exists(head_path) else b""
        body = Path(body_path).read_bytes() if os.path.exists(body_path) else b""
    blocks = parse_header_blocks(head)
    status, headers = blocks[-1] if blocks else (0, {})
    out = r.stdout.decode(errors="replace").split("\n", 1)
    return Response(status, headers, body, r.stderr.decode(errors="replace"), r.returncode, elapsed,
                    out[1] if len(out) > 1 else "")


@dataclass
class Tunnel:
    """A public URL `http://<name>.<domain>:<port>`; curl reaches it via --resolve to 127.0.0.1
    (for *.localhost, curl resolves it itself)."""

    public_url: str
    host: str = field(init=False)
    port: int = field(init=False)
    name: str = field(init=False)

    def __post_init__(self):
        m = re.match(r"^(https?)://([^/:]+)(?::(\d+))?", self.public_url)
        assert m, f"not a URL: {self.public_url}"
        self.host = m[2]
        self.port = int(m[3] or (443 if m[1] == "https" else 80))
        self.name = self.host.split(".", 1)[0]

    @property
    def resolve(self) -> Optional[str]:
        if self.host == "localhost" or self.host.endswith(".localhost"):
            return None
        return f"{self.host}:{self.port}:{LOCALHOST}"

    def url(self, path: str = "/") -> str:
        return self.public_url.rstrip("/") + path

    def curl(self, path: str = "/", *args: str, **kw) -> Response:
        return curl(self.url(path), *args, resolve=self.resolve, **kw)

    def curl_argv(self, *args: str) -> list[str]:
        """Arguments to reach this tunnel from a hand-built curl command line."""
        return ["--resolve", self.resolve] if self.resolve else []


# --------------------------------------------------------------------------------------------
# Raw sockets, for what curl will not send (hostile callers and peers)


def read_until_closed(s: socket.socket, limit: float) -> tuple[bytes, float]:
    """Everything the peer sends until it closes, resets or `limit` seconds pass; and the time."""
    started = time.monotonic()
    data = b""
    s.settimeout(0.5)
    while time.monotonic() - started < limit:
        try:
            piece = s.recv(65536)
        except socket.timeout:
            continue
        except OSError:  # includes a reset and ssl.SSLError
            break
        if not piece:
            break
        data += piece
    return data, time.monotonic() - started


def parse_response(data: bytes) -> tuple[int, dict[str, str], bytes]:
    """The first response in `data`: status (0 when none), lower-case headers, body after the head."""
    if not data.startswith(b"HTTP/1."):
        return 0, {}, data
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split(" ", 2)[1]), headers, body


def raise_open_files(need: int) -> bool:
    """Raises this process's soft RLIMIT_NOFILE to `need`; False when the hard limit is lower."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return True
    if hard != resource.RLIM_INFINITY and hard < need:
        return False
    resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    return True


# --------------------------------------------------------------------------------------------
# Process memory and CPU, logs


def proc_memory_kib(pid: int) -> dict[str, int]:
    """VmHWM (peak RSS), VmRSS and its private part RssAnon of a process in KiB, from
    /proc/PID/status."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmHWM:", "VmRSS:", "RssAnon:")):
                k, v = line.split(":", 1)
                out[k] = int(v.split()[0])
    return out


def proc_cpu_times(pid: int) -> tuple[float, float]:
    """(utime, stime) of a process in seconds, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


_LOGFMT_RX = re.compile(r'([A-Za-z0-9_.\-]+)=("(?:[^"\\]|\\.)*"|\S*)')


def parse_logfmt(line: str) -> dict[str, str]:
    out = {}
    for k, v in _LOGFMT_RX.findall(line):
        if v.startswith('"'):
            v = bytes(v[1:-1], "utf-8").decode("unicode_escape", errors="replace")
        out[k] = v
    out["_line"] = line
    return out


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pattern_bytes(n: int, seed: int = 0) -> bytes:
    """n deterministic, non-repeating-looking bytes (a corrupted or reordered chunk changes the hash)."""
    block = hashlib.sha256(str(seed).encode()).digest()
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(block + counter.to_bytes(8, "little")).digest() * 64
        counter += 1
    return bytes(out[:n])


def write_pattern_file(path: Path, n: int, seed: int = 0) -> str:
    """Writes n pattern bytes to `path` in 1 MiB pieces; returns their sha256."""
    h = hashlib.sha256()
    piece = pattern_bytes(1 << 20, seed)
    with open(path, "wb") as f:
        left = n
        while left:
            chunk = piece[: min(left, len(piece))]
            f.write(chunk)
            h.update(chunk)
            left -= len(chunk)
    return h.hexdigest()


def agent_config_yaml(edge, tunnels: str) -> str:
    """A `relay start` config for `edge` (its authtoken and test CA, inspector off) with the
    given YAML under `tunnels:` (indented by two spaces)."""
    return f"""version: "2"
authtoken: "{edge.authtoken}"
edge: {edge.agent_addr}
edge_ca: {edge.pki.ca}
inspect_addr: false
tunnels:
{tunnels}"""
