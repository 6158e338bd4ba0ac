"""The other ways to put a hop in front of the app, measured in the same run as relay so the
table compares them on the same machine and load: an nginx reverse proxy (one plain HTTP hop)
and an OpenSSH `ssh -R` tunnel (two processes and one encrypted connection, like relay).
Each one listens on loopback, forwards to the app, and is stopped by PID."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
from pathlib import Path

from relay_harness import free_port, is_listening, wait_until

SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if os.access("/usr/sbin/sshd", os.X_OK) else None)


class Baseline:
    """A forwarder on 127.0.0.1:`port` in front of the app. `pids`: its processes, for CPU and RSS."""

    name = ""
    port = 0
    pids: dict[str, int] = {}

    def stop(self) -> None:
        raise NotImplementedError


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def stop_process(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


class Nginx:
    """nginx with its own config and prefix in `workdir/name`, in the foreground (daemon off),
    stopped by PID. Without `proxy_to` it is the app (`return 200`); with it, a reverse proxy to
    that port that keeps its upstream connections alive. It reads a request body whole before it
    sends it on (nginx's default; streaming it made nginx drop the connection to wrk whenever the
    app answered before reading the body)."""

    def __init__(self, workdir: Path, workers: str, name: str = "nginx", proxy_to: int | None = None):
        self.port = free_port()
        self.dir = workdir / name
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        d = self.dir
        if proxy_to is None:
            upstream = ""
            locations = """location / { return 200 "ok\\n"; }
    location /upload {
      client_max_body_size 2m;
      client_body_buffer_size 2m;
      return 200 "ok\\n";
    }"""
        else:
            upstream = f"upstream app {{ server 127.0.0.1:{proxy_to}; keepalive 128; }}"
            locations = """location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      client_max_body_size 2m;
      client_body_buffer_size 2m;
    }"""
        conf = d / "nginx.conf"
        conf.write_text(f"""
daemon off;
worker_processes {workers};
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 75s;
  {upstream}
  server {{
    listen 127.0.0.1:{self.port} reuseport;
    {locations}
  }}
}}
""")
        self.log = open(d / "stderr.log", "wb")
        self.proc = subprocess.Popen(["nginx", "-e", str(d / "error.log"), "-p", str(d), "-c", str(conf)],
                                     stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        wait_until(lambda: is_listening(self.port) or self.proc.poll() is not None, 10, "nginx to listen")
        if self.proc.poll() is not None:
            raise RuntimeError(f"nginx failed to start: {(d / 'stderr.log').read_text()}{(d / 'error.log').read_text()}")

    def stop(self) -> None:
        # SIGQUIT: graceful, the master stops its workers.
        stop_process(self.proc, signal.SIGQUIT)
        self.log.close()


class NginxProxy(Baseline):
    """wrk -> nginx (proxy_pass, upstream keepalive) -> app: one plain HTTP hop, no encryption."""

    name = "nginx proxy"

    def __init__(self, workdir: Path, app_port: int, workers: str):
        self.nginx = Nginx(workdir, workers, "nginx-proxy", proxy_to=app_port)
        self.port = self.nginx.port
        self.pids = {"nginx": children(self.nginx.proc.pid)[0]}

    def stop(self) -> None:
        self.nginx.stop()


class SshTunnel(Baseline):
    """`ssh -R 127.0.0.1:PORT:127.0.0.1:APP` into a private sshd on loopback: wrk -> sshd ->
    SSH connection -> ssh -> app. OpenSSH's default cipher and settings; keys made for the run."""

    name = "ssh -R"

    def __init__(self, workdir: Path, app_port: int):
        d = workdir / "ssh"
        d.mkdir(parents=True)
        for key in ("host_key", "client_key"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / key)], check=True)
        (d / "authorized_keys").write_text((d / "client_key.pub").read_text())
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation directory
        sshd_port = free_port()
        config = d / "sshd_config"
        config.write_text(f"""ListenAddress 127.0.0.1:{sshd_port}
HostKey {d}/host_key
PidFile {d}/sshd.pid
AuthorizedKeysFile {d}/authorized_keys
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
AllowTcpForwarding remote
X11Forwarding no
PrintMotd no
LogLevel ERROR
""")
        self.log = open(d / "log", "wb")
        self.sshd = self.ssh = None
        try:
            self.sshd = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=self.log, stderr=self.log,
                                         stdin=subprocess.DEVNULL)
            wait_until(lambda: is_listening(sshd_port) or self.sshd.poll() is not None, 10, "sshd to listen")
            self.port = free_port()
            self.ssh = subprocess.Popen(
                ["ssh", "-N", "-i", str(d / "client_key"), "-p", str(sshd_port), "-o", "BatchMode=yes",
                 "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                 "-o", "ExitOnForwardFailure=yes", "-R", f"127.0.0.1:{self.port}:127.0.0.1:{app_port}",
                 f"{pwd.getpwuid(os.geteuid()).pw_name}@127.0.0.1"],
                stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
            wait_until(lambda: is_listening(self.port) or self.ssh.poll() is not None, 15, "ssh -R to listen")
            if self.ssh.poll() is not None or self.sshd.poll() is not None:
                raise RuntimeError("it exited")
        except Exception as e:
            self.stop()
            raise RuntimeError(f"ssh -R did not start ({e}): {(d / 'log').read_text()}") from e
        # The work is done by the session's process: the listener's child ("[priv]" monitor) or,
        # with privilege separation, that one's child.
        worker = self.sshd.pid
        while child := children(worker):
            worker = child[0]
        self.pids = {"sshd": worker, "ssh": self.ssh.pid}

    def stop(self) -> None:
        for proc in (self.ssh, self.sshd):
            if proc is not None:
                stop_process(proc)
        self.log.close()
