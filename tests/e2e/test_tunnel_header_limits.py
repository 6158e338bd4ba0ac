"""Issue 2: large headers up to the limit (64 KiB of request line + headers) pass; over it → 431."""

RELAY_ERROR_CODE = "relay-error-code"


def _big_headers(total: int) -> list[str]:
    """curl -H arguments adding about `total` bytes of headers, 4000 bytes each."""
    args, i = [], 0
    while total > 0:
        size = min(4000, total)
        args += ["-H", f"X-Big-{i:02d}: {chr(ord('a') + i % 26) * size}"]
        total -= size + 12
        i += 1
    return args


def test_headers_near_the_limit_pass(app, tunnel):
    r = tunnel.curl("/json/big", *_big_headers(48 * 1024))
    assert r.status == 200, r
    seen = app.wait_for_request("/json/big")
    big = [(k, v) for k, v in seen.headers if k.lower().startswith("x-big-")]
    assert len(big) == len(_big_headers(48 * 1024)) // 2
    assert all(v == chr(ord("a") + int(k[6:]) % 26) * len(v) for k, v in big)
    assert sum(len(v) for _, v in big) > 46 * 1024


def test_headers_over_the_limit_get_431_with_code(app, tunnel):
    r = tunnel.curl("/json/huge", *_big_headers(80 * 1024), "-H", "Accept: application/json")
    assert r.status == 431, r
    assert r.header(RELAY_ERROR_CODE) == "RELAY_HEADERS_TOO_LARGE", r
    assert not app.requests_to("/json/huge")
    # The edge is still up and the tunnel still works.
    r = tunnel.curl("/after-431")
    assert r.status == 200, r
