"""Issue 2: keep-alive on the public side (one curl, several URLs, one TCP connection)."""

import subprocess


def test_curl_reuses_one_connection_for_several_requests(app, tunnel):
    urls = [tunnel.url(f"/echo/ka{i}") for i in range(5)]
    argv = ["curl", "-sS", "--max-time", "20", *tunnel.curl_argv(), "-o", "/dev/null",
            "-w", "%{http_code} %{num_connects}\\n"]
    for u in urls:
        argv += [u]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    lines = r.stdout.split()
    pairs = list(zip(lines[0::2], lines[1::2]))
    assert [s for s, _ in pairs] == ["200"] * 5, (r.stdout, r.stderr)
    # num_connects: new connections made for that transfer; 0 = reused the previous one.
    assert [int(n) for _, n in pairs] == [1, 0, 0, 0, 0], (r.stdout, r.stderr)
    assert len(app.requests_to("/echo/ka")) == 5


def test_keep_alive_with_bodies(app, tunnel):
    argv = ["curl"]
    for i in range(3):
        if i:
            argv += ["--next"]  # options reset per URL group; the connection cache does not
        argv += ["-sS", "--max-time", "20", *tunnel.curl_argv(), "-w", "|%{http_code} %{num_connects}\\n",
                 "--data-binary", f"body-{i}", tunnel.url(f"/echo/kb{i}")]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert r.stdout == "body-0|200 1\nbody-1|200 0\nbody-2|200 0\n", (r.stdout, r.stderr)
