"""`relay webhook verify|sign|send` and `relay providers`, as a user runs them.

Every case of the shared vectors (../shared/vectors, skipped when absent) and of the project's
own vectors (tests/vectors) goes through `relay webhook verify`; sign → verify round trips for
every provider that can be signed locally; `send` against a real local HTTP server.

Under the sanitizers (RELAY_SANITIZED) every 4th case and provider runs: each `relay` start costs
~0.5 s there, and the verifiers themselves run every case under ASan in the unit tests
(tests/unit/verify), so what this adds is the command's plumbing.
"""
import glob
import http.server
import json
import os
import resource
import subprocess
import threading

import pytest

RELAY = os.environ.get("RELAY_BIN", "relay")
SOURCE = os.environ.get("RELAY_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.path.join(SOURCE, "..", "shared", "vectors")
OWN = os.path.join(SOURCE, "tests", "vectors")
EVERY = 4 if os.environ.get("RELAY_SANITIZED") else 1


def load_cases(directory):
    cases = []
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        if os.path.basename(path) == "handshakes.json":
            continue
        with open(path, encoding="utf-8") as f:
            for i, c in enumerate(json.load(f)):
                cases.append(pytest.param(c, id=f"{os.path.basename(path)[:-5]}-{i}"))
    return cases[::EVERY]


def run(*args, stdin=None, env=None):
    return subprocess.run([RELAY, *args], input=stdin, capture_output=True, timeout=30, env=env)


def verify_args(c, tmp_path):
    body = tmp_path / "body"
    body.write_bytes(c["body"].encode("utf-8"))
    args = ["webhook", "verify", c["provider"], "--secret", c["secret"], "--body-file", str(body),
            "--url", c["url"], "--method", c["method"], "--now", str(c["now_unix"])]
    for name, value in c["headers"].items():
        args += ["--header", f"{name}: {value}"]
    for key, value in c.get("config", {}).items():
        args += ["--param", f"{key}={value}"]
    return args


def check_case(c, tmp_path):
    result = run(*verify_args(c, tmp_path))
    out = result.stdout.decode()
    if c["expect"] == "accept":
        assert result.returncode == 0, f"{c['why']}: {out} {result.stderr.decode()}"
        assert out == "valid\n"
    else:
        assert result.returncode == 1, f"{c['why']}: exit {result.returncode}: {out} {result.stderr.decode()}"
        assert out.strip() and out != "valid\n"


@pytest.mark.skipif(not os.path.isdir(SHARED), reason="no shared vectors next to the project")
@pytest.mark.parametrize("c", load_cases(SHARED) if os.path.isdir(SHARED) else [])
def test_shared_vector(c, tmp_path):
    check_case(c, tmp_path)


@pytest.mark.parametrize("c", load_cases(OWN))
def test_own_vector(c, tmp_path):
    check_case(c, tmp_path)


def providers():
    result = run("providers", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_providers_lists_first_providers_with_headers_and_handshakes():
    listed = {p["name"]: p for p in providers()}
    assert {"tiktok", "zoom", "tokportal", "hmac", "github", "stripe"} <= set(listed)
    assert "TikTok-Signature" in listed["tiktok"]["headers"]
    assert "url_validation" in listed["zoom"]["handshake"]
    assert "challenge" in listed["tokportal"]["handshake"]
    table = run("providers").stdout.decode()
    assert "tiktok" in table and "x-zm-signature" in table


UNSIGNABLE = {"discord", "sendgrid", "plaid", "mailgun", "hmac"}


@pytest.mark.parametrize("name", sorted(p["name"] for p in providers() if p["name"] not in UNSIGNABLE)[::EVERY])
def test_sign_then_verify_round_trip(name, tmp_path):
    secrets = {"microsoft_teams": "c2VjcmV0LXRva2VuLWZvci10ZWFtcw==",
               "svix": "whsec_c2VjcmV0LXN2aXgta2V5LTAxMjM0NQ==",
               "clerk": "whsec_c2VjcmV0LXN2aXgta2V5LTAxMjM0NQ==",
               "standardwebhooks": "whsec_c2VjcmV0LXN2aXgta2V5LTAxMjM0NQ==",
               "brex": "c2VjcmV0LXN2aXgta2V5LTAxMjM0NQ=="}
    secret = secrets.get(name, "round-trip-secret")
    body = tmp_path / "body"
    body.write_bytes(b'{"webhookTimestamp":1764000000000,"hello":"w\xc3\xb6rld"}')
    url = "https://relay.example.com/hooks/x?a=1"
    common = ["--secret", secret, "--body-file", str(body), "--url", url, "--now", "1764000000"]
    if name in {"twilio", "mailchimp"}:  # they sign form parameters, not raw JSON
        common += ["--header", "Content-Type: application/x-www-form-urlencoded"]
    signed = run("webhook", "sign", name, *common)
    assert signed.returncode == 0, signed.stderr
    lines = [l for l in signed.stdout.decode().splitlines() if l]
    assert lines and all(": " in l for l in lines)
    headers = [a for l in lines for a in ("--header", l)]
    ok = run("webhook", "verify", name, *common, *headers)
    assert (ok.returncode, ok.stdout) == (0, b"valid\n"), ok.stderr
    body.write_bytes(b'{"webhookTimestamp":1764000000000,"hello":"tampered"}')
    bad = run("webhook", "verify", name, *common, *headers)
    if name in {"gitlab", "okta"}:  # token schemes do not cover the body
        assert bad.returncode == 0
    else:
        assert bad.returncode == 1 and bad.stdout.strip()


def test_verify_reasons_distinguish_failures(tmp_path):
    body = tmp_path / "b"
    body.write_bytes(b"{}")
    base = ["webhook", "verify", "tiktok", "--secret", "s", "--body-file", str(body), "--now", "1764000000"]
    signed = run("webhook", "sign", "tiktok", "--secret", "s", "--body-file", str(body), "--now", "1763990000")
    header = signed.stdout.decode().strip()
    stale = run(*base, "--header", header)
    assert stale.returncode == 1 and b"stale timestamp: 10000 s old, tolerance 180 s" in stale.stdout
    assert b"missing" in run(*base).stdout
    assert b"malformed" in run(*base, "--header", "TikTok-Signature: nonsense").stdout
    mismatch = run(*base, "--header", "TikTok-Signature: t=1764000000,s=00")
    assert mismatch.returncode == 1 and b"mismatch" in mismatch.stdout
    loose = run(*base, "--header", header, "--tolerance", "20000")
    assert loose.returncode == 0


def test_usage_errors_exit_2(tmp_path):
    unknown = run("webhook", "verify", "nosuchprovider", "--secret", "s")
    assert unknown.returncode == 2 and b"tiktok" in unknown.stderr  # lists the known providers
    no_secret = run("webhook", "verify", "tiktok")
    assert no_secret.returncode == 2 and b"--secret" in no_secret.stderr
    bad_header = run("webhook", "verify", "tiktok", "--secret", "s", "--header", "no colon")
    assert bad_header.returncode == 2
    assert run("webhook", "verify", "tiktok", "--secret", "s", "--now", "notanumber").returncode == 2
    missing_file = run("webhook", "verify", "tiktok", "--secret", "s", "--body-file", str(tmp_path / "nope"))
    assert missing_file.returncode == 2
    missing_env = run("webhook", "verify", "tiktok", "--secret", "env:RELAY_TEST_UNSET_VARIABLE")
    assert missing_env.returncode == 2 and b"RELAY_TEST_UNSET_VARIABLE" in missing_env.stderr
    bad_generic = run("webhook", "verify", "hmac", "--secret", "s")
    assert bad_generic.returncode == 2 and b"header" in bad_generic.stderr
    assert run("webhook", "sign", "discord", "--secret", "00" * 32).returncode == 1


def test_secret_from_env_and_file_and_stdin_body(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-file\n")
    body = b'{"event":"meeting.started"}'
    signed = run("webhook", "sign", "zoom", "--secret", f"file:{secret_file}", "--body-file", "-",
                 "--now", "1764000000", stdin=body)
    assert signed.returncode == 0, signed.stderr
    headers = [a for l in signed.stdout.decode().splitlines() for a in ("--header", l)]
    env = dict(os.environ, ZOOM_SECRET="from-file")
    ok = run("webhook", "verify", "zoom", "--secret", "env:ZOOM_SECRET", "--body-file", "-",
             "--now", "1764000000", *headers, stdin=body, env=env)
    assert (ok.returncode, ok.stdout) == (0, b"valid\n"), ok.stderr


class Recorder(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Recorder.received.append((self.path, dict(self.headers), body))
        self.send_response(202)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"got it")

    def log_message(self, *args):
        pass


@pytest.fixture()
def server():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Recorder.received = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    thread.join(timeout=5)


@pytest.mark.parametrize("provider,event", [("tiktok", "video.publish.completed"),
                                            ("zoom", "meeting.started"),
                                            ("tokportal", "video.published"),
                                            ("github", "push"),
                                            ("stripe", "payment_intent.succeeded")])
def test_send_delivers_a_verifiable_sample_event(server, provider, event, tmp_path):
    url = f"{server}/hooks/{provider}"
    sent = run("webhook", "send", provider, url, "--secret", "send-secret", "--event", event)
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.decode().startswith("202 ") and b"got it" in sent.stdout
    path, headers, body = Recorder.received[-1]
    assert path == f"/hooks/{provider}"
    assert event.split(".")[0] in body.decode()
    body_file = tmp_path / "body"
    body_file.write_bytes(body)
    args = ["webhook", "verify", provider, "--secret", "send-secret", "--body-file", str(body_file),
            "--url", url]
    for name, value in headers.items():
        args += ["--header", f"{name}: {value}"]
    verified = run(*args)
    assert (verified.returncode, verified.stdout) == (0, b"valid\n"), verified.stdout


def test_send_reports_unreachable_endpoint():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    result = run("webhook", "send", "tiktok", f"http://127.0.0.1:{port}/", "--secret", "s", "--timeout", "5")
    assert result.returncode == 1 and b"failed" in result.stderr


def test_help_texts_describe_each_command():
    for args in (["webhook", "verify", "--help"], ["webhook", "sign", "--help"],
                 ["webhook", "send", "--help"], ["providers", "--help"]):
        result = run(*args)
        assert result.returncode == 0 and b"--secret" in result.stdout or b"--json" in result.stdout


# Issue 10 item 11: body files are read up to the tunnel's verified-body limit (10 MiB), and --now
# must be a plausible unix time. Before, --body-file /dev/zero grew to gigabytes in seconds.
@pytest.mark.parametrize("command", ["verify", "sign", "send"])
def test_body_file_is_bounded(command):
    args = ["webhook", command, "tiktok"]
    if command == "send":
        args.append("http://127.0.0.1:9/")
    args += ["--secret", "s", "--body-file", "/dev/zero", "--now", "1764000000"]
    result = subprocess.run([RELAY, *args], capture_output=True, timeout=20)
    assert result.returncode == 2, result
    assert b"--body-file" in result.stderr and b"larger than 10 MiB" in result.stderr, result.stderr
    # ru_maxrss of the largest child so far (KiB): relay itself, whose body stopped at the cap.
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 512 * 1024


def test_body_file_at_the_limit_is_read(tmp_path):
    body = tmp_path / "big"
    body.write_bytes(b"x" * (10 * 1024 * 1024))
    result = run("webhook", "sign", "tiktok", "--secret", "s", "--body-file", str(body), "--now", "1764000000")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("now", ["-1", "0", "946684799", "7258118401", "1764000000000", "-9223372036854775808"])
def test_now_out_of_range_is_a_usage_error(now):
    result = run("webhook", "verify", "tiktok", "--secret", "s", f"--now={now}")
    assert result.returncode == 2, result
    assert b"--now" in result.stderr and b"2000" in result.stderr, result.stderr


def test_secret_file_is_bounded():
    result = run("webhook", "sign", "tiktok", "--secret", "file:/dev/zero", "--now", "1764000000")
    assert result.returncode == 2, result
    assert b"larger than 64 KiB" in result.stderr, result.stderr
