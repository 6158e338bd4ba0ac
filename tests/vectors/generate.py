#!/usr/bin/env python3
"""Generates the project's own webhook signature vectors (tests/vectors/<provider>.json).

Each scheme is re-implemented here from the provider's documentation with Python's hmac/hashlib
(and `cryptography` for Ed25519 / ECDSA), independently of the C++ verifiers, so the two
implementations check each other. Same case format as ../shared/vectors (see its README).

    python3 tests/vectors/generate.py        # rewrites tests/vectors/*.json
"""
import base64
import datetime
import hashlib
import hmac
import json
import os
import urllib.parse

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

NOW = 1764000000
OUT = os.path.dirname(os.path.abspath(__file__))
SECRET = "relay_vector_secret_5a1e3c"


def h(alg, key, msg):
    if isinstance(key, str):
        key = key.encode()
    if isinstance(msg, str):
        msg = msg.encode()
    return hmac.new(key, msg, alg).digest()


def hexd(alg, key, msg):
    return h(alg, key, msg).hex()


def b64(data):
    return base64.b64encode(data).decode()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def body_for(provider, amount=1000):
    return json.dumps({"id": f"evt_{provider}_own", "type": "relay.vector", "amount": amount,
                       "note": "caf\u00e9 \u2713"}, separators=(",", ":"), ensure_ascii=False)


def case(provider, secret, headers, body, expect, why, url=None, method="POST", config=None):
    c = {"provider": provider, "secret": secret, "headers": headers, "method": method,
         "url": url or f"https://relay.example.com/hooks/{provider}", "body": body,
         "now_unix": NOW, "expect": expect, "why": why}
    if config:
        c["config"] = config
    return c


# ---- generic HMAC schemes: (header builder given (secret, body, ts, url)) ----------------------
def simple(provider, header, alg, enc, prefix="", key=lambda s: s, extra=None, msg=None):
    """Body-only (or fixed-message) HMAC in one header."""
    def sign(secret, body, ts, url):
        m = msg(body, ts, url) if msg else body
        d = h(alg, key(secret), m)
        v = prefix + (d.hex() if enc == "hex" else b64(d))
        hs = {header: v, "Content-Type": "application/json"}
        if extra:
            hs.update(extra(ts))
        return hs
    return provider, sign


def kv(provider, header, ts_key, sig_key, sep=",", msg=lambda b, t: f"{t}.{b}"):
    def sign(secret, body, ts, url):
        return {header: f"{ts_key}={ts}{sep}{sig_key}={hexd('sha256', secret, msg(body, ts))}",
                "Content-Type": "application/json"}
    return provider, sign


def svix_like(provider, prefix, key_fn):
    def sign(secret, body, ts, url):
        mid = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
        sig = b64(h("sha256", key_fn(secret), f"{mid}.{ts}.{body}"))
        return {f"{prefix}-id": mid, f"{prefix}-timestamp": str(ts),
                f"{prefix}-signature": f"v1,{b64(b'x' * 32)} v1,{sig}",
                "Content-Type": "application/json"}
    return provider, sign


def whsec(secret):
    s = secret[6:] if secret.startswith("whsec_") else secret
    return base64.b64decode(s)


SVIX_SECRET = "whsec_" + b64(b"relay-own-svix-signing-key-01234")
BREX_SECRET = b64(b"relay-own-brex-signing-key-012345")

HMAC_PROVIDERS = dict([
    simple("aftership", "aftership-hmac-sha256", "sha256", "b64"),
    simple("airship", "X-UA-Signature", "sha256", "hex", msg=lambda b, t, u: f"{t}:{b}",
           extra=lambda t: {"X-UA-Timestamp": str(t)}),
    simple("bitbucket", "X-Hub-Signature", "sha256", "hex", prefix="sha256="),
    simple("bolt", "X-Bolt-Hmac-Sha256", "sha256", "b64"),
    simple("box", "BOX-SIGNATURE-PRIMARY", "sha256", "b64", msg=lambda b, t, u: b + iso(t),
           extra=lambda t: {"BOX-DELIVERY-TIMESTAMP": iso(t), "BOX-SIGNATURE-VERSION": "1",
                            "BOX-SIGNATURE-ALGORITHM": "HmacSHA256"}),
    svix_like("brex", "webhook", whsec),
    kv("buildkite", "X-Buildkite-Signature", "timestamp", "signature"),
    kv("calendly", "Calendly-Webhook-Signature", "t", "v1"),
    simple("castle", "X-Castle-Signature", "sha256", "b64"),
    simple("chargify", "X-Chargify-Webhook-Signature-Hmac-Sha-256", "sha256", "hex"),
    simple("circleci", "circleci-signature", "sha256", "hex", prefix="v1="),
    svix_like("clerk", "svix", whsec),
    simple("coinbase", "X-CC-Webhook-Signature", "sha256", "hex"),
    simple("docusign", "X-DocuSign-Signature-1", "sha256", "b64"),
    simple("dropbox", "X-Dropbox-Signature", "sha256", "hex"),
    simple("facebook_graph_api", "X-Hub-Signature-256", "sha256", "hex", prefix="sha256="),
    simple("facebook_messenger", "X-Hub-Signature-256", "sha256", "hex", prefix="sha256="),
    simple("frameio", "X-Frameio-Signature", "sha256", "hex", prefix="v0=",
           msg=lambda b, t, u: f"v0:{t}:{b}", extra=lambda t: {"X-Frameio-Request-Timestamp": str(t)}),
    simple("github", "X-Hub-Signature-256", "sha256", "hex", prefix="sha256="),
    simple("heroku", "Heroku-Webhook-Hmac-SHA256", "sha256", "b64"),
    simple("hubspot", "X-HubSpot-Signature-v3", "sha256", "b64",
           msg=lambda b, t, u: f"POST{u}{b}{t * 1000}",
           extra=lambda t: {"X-HubSpot-Request-Timestamp": str(t * 1000)}),
    simple("instagram", "X-Hub-Signature-256", "sha256", "hex", prefix="sha256="),
    simple("intercom", "X-Hub-Signature", "sha1", "hex", prefix="sha1="),
    simple("jira", "X-Hub-Signature", "sha256", "hex", prefix="sha256="),
    simple("launch_darkly", "X-LD-Signature", "sha256", "hex"),
    simple("microsoft_teams", "Authorization", "sha256", "b64", prefix="HMAC ",
           key=lambda s: base64.b64decode(s)),
    simple("modern_treasury", "X-Signature", "sha256", "hex"),
    kv("mux", "Mux-Signature", "t", "v1"),
    kv("paddle", "Paddle-Signature", "ts", "h1", sep=";", msg=lambda b, t: f"{t}:{b}"),
    simple("pagerduty", "X-PagerDuty-Signature", "sha256", "hex", prefix="v1="),
    simple("pusher", "X-Pusher-Signature", "sha256", "hex"),
    simple("segment", "X-Signature", "sha1", "hex"),
    simple("sentry", "Sentry-Hook-Signature", "sha256", "hex"),
    simple("shopify", "X-Shopify-Hmac-Sha256", "sha256", "b64"),
    simple("slack", "X-Slack-Signature", "sha256", "hex", prefix="v0=",
           msg=lambda b, t, u: f"v0:{t}:{b}", extra=lambda t: {"X-Slack-Request-Timestamp": str(t)}),
    simple("square", "x-square-hmacsha256-signature", "sha256", "b64", msg=lambda b, t, u: u + b),
    svix_like("standardwebhooks", "webhook", whsec),
    kv("stripe", "Stripe-Signature", "t", "v1"),
    svix_like("svix", "svix", whsec),
    simple("terraform", "X-TFE-Notification-Signature", "sha512", "hex"),
    kv("tiktok", "TikTok-Signature", "t", "s"),
    kv("tokportal", "TokPortal-Signature", "t", "v1"),
    simple("twitter", "X-Twitter-Webhooks-Signature", "sha256", "b64", prefix="sha256="),
    simple("typeform", "Typeform-Signature", "sha256", "b64", prefix="sha256="),
    simple("whatsapp", "X-Hub-Signature-256", "sha256", "hex", prefix="sha256="),
    simple("woocommerce", "X-WC-Webhook-Signature", "sha256", "b64"),
    simple("worldline", "X-GCS-Signature", "sha256", "b64"),
    simple("xero", "x-xero-signature", "sha256", "b64"),
    simple("zendesk", "X-Zendesk-Webhook-Signature", "sha256", "b64", msg=lambda b, t, u: iso(t) + b,
           extra=lambda t: {"X-Zendesk-Webhook-Signature-Timestamp": iso(t)}),
    simple("zoom", "x-zm-signature", "sha256", "hex", prefix="v0=",
           msg=lambda b, t, u: f"v0:{t}:{b}", extra=lambda t: {"x-zm-request-timestamp": str(t)}),
])
TIMESTAMPED = {"airship", "box", "brex", "buildkite", "calendly", "clerk", "frameio", "hubspot",
               "mux", "paddle", "slack", "standardwebhooks", "stripe", "svix", "tiktok",
               "tokportal", "zendesk", "zoom"}
SECRETS = {"brex": BREX_SECRET, "clerk": SVIX_SECRET, "svix": SVIX_SECRET,
           "standardwebhooks": SVIX_SECRET,
           "microsoft_teams": b64(b"relay-own-teams-security-token!")}
OTHER = "whsec_" + b64(b"a-completely-different-signing-key")
OTHER_SECRETS = {"brex": OTHER, "clerk": OTHER, "svix": OTHER, "standardwebhooks": OTHER,
                 "microsoft_teams": b64(b"a-different-teams-security-token")}


def hmac_cases(provider, sign):
    secret = SECRETS.get(provider, SECRET + "_" + provider)
    body = body_for(provider)
    url = f"https://relay.example.com/hooks/{provider}?tenant=own"
    good = sign(secret, body, NOW - 2, url)
    cases = [
        case(provider, secret, good, body, "accept", "signed 2 s before now", url),
        case(provider, secret, good, body_for(provider, 1001), "reject", "body changed", url),
        case(provider, secret, {"Content-Type": "application/json"}, body, "reject",
             "no signature header", url),
        case(provider, secret, sign(OTHER_SECRETS.get(provider, secret + "x"), body, NOW - 2, url),
             body, "reject", "signed with another secret", url),
    ]
    if provider in TIMESTAMPED:
        cases.append(case(provider, secret, sign(secret, body, NOW - 7200, url), body, "reject",
                          "validly signed 7200 s ago", url))
        cases.append(case(provider, secret, sign(secret, body, NOW + 7200, url), body, "reject",
                          "validly signed 7200 s in the future", url))
    return cases


# ---- other schemes ---------------------------------------------------------------------------
def form_url_cases(provider, header):
    secret = SECRET + "_" + provider
    url = f"https://relay.example.com/hooks/{provider}?q=1"
    params = {"From": "+15550001111", "Body": "caf\u00e9 & more", "AccountSid": "AC123"}
    body = urllib.parse.urlencode(params)

    def sig(p, u):
        return b64(h("sha1", secret, u + "".join(k + p[k] for k in sorted(p))))
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    return [
        case(provider, secret, {header: sig(params, url), **form}, body, "accept", "form POST", url),
        case(provider, secret, {header: sig(params, url), **form}, body + "&x=1", "reject",
             "parameter added", url),
        case(provider, secret, form, body, "reject", "no signature header", url),
        case(provider, secret, {header: sig(params, url + "&q=2"), **form}, body, "reject",
             "signed for another URL", url),
    ]


def hubspot_legacy_cases():
    secret = SECRET + "_hubspot"
    body = body_for("hubspot")
    url = "https://relay.example.com/hooks/hubspot"
    v2 = hashlib.sha256((secret + "POST" + url + body).encode()).hexdigest()
    v1 = hashlib.sha256((secret + body).encode()).hexdigest()
    return [
        case("hubspot", secret, {"X-HubSpot-Signature": v2, "X-HubSpot-Signature-Version": "v2"},
             body, "accept", "legacy v2", url),
        case("hubspot", secret, {"X-HubSpot-Signature": v1, "X-HubSpot-Signature-Version": "v1"},
             body, "accept", "legacy v1", url),
        case("hubspot", secret, {"X-HubSpot-Signature": v1, "X-HubSpot-Signature-Version": "v2"},
             body, "reject", "v1 digest labelled v2", url),
    ]


def linear_cases():
    secret = "lin_wh_own_" + SECRET
    def body(ms):
        return json.dumps({"action": "update", "type": "Issue", "data": {"id": "x"},
                           "webhookTimestamp": ms}, separators=(",", ":"))
    def hs(b):
        return {"Linear-Signature": hexd("sha256", secret, b), "Linear-Delivery": "d-1"}
    ok = body(NOW * 1000 - 1500)
    old = body((NOW - 600) * 1000)
    return [case("linear", secret, hs(ok), ok, "accept", "1.5 s old"),
            case("linear", secret, hs(ok), ok.replace("update", "remove"), "reject", "body changed"),
            case("linear", secret, hs(old), old, "reject", "webhookTimestamp 600 s old"),
            case("linear", secret, {}, ok, "reject", "no signature")]


def mailgun_cases():
    key = "key-own-" + SECRET
    def body(ts, token, sig):
        return json.dumps({"signature": {"timestamp": str(ts), "token": token, "signature": sig},
                           "event-data": {"event": "delivered"}}, separators=(",", ":"))
    tok = "a" * 50
    good = body(NOW - 5, tok, hexd("sha256", key, f"{NOW - 5}{tok}"))
    form_sig = hexd("sha256", key, f"{NOW}{tok}")
    form = urllib.parse.urlencode({"timestamp": NOW, "token": tok, "signature": form_sig})
    return [case("mailgun", key, {}, good, "accept", "JSON webhook"),
            case("mailgun", key, {"Content-Type": "application/x-www-form-urlencoded"}, form,
                 "accept", "legacy form fields"),
            case("mailgun", key, {}, good.replace("a" * 50, "b" * 50), "reject", "token changed"),
            case("mailgun", key, {}, body(NOW - 900, tok, hexd("sha256", key, f"{NOW - 900}{tok}")),
                 "reject", "900 s old")]


def token_cases(provider, header):
    secret = "own-token-" + provider
    return [case(provider, secret, {header: secret}, "{}", "accept", "token matches"),
            case(provider, secret, {header: secret + " "}, "{}", "reject", "trailing space"),
            case(provider, secret, {}, "{}", "reject", "no token header")]


def vonage_cases():
    secret = "vonage_own_" + SECRET
    body = body_for("vonage")
    def jwt(claims, key=secret):
        head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        pay = b64url(json.dumps(claims).encode())
        return f"{head}.{pay}." + b64url(h("sha256", key, f"{head}.{pay}"))
    ph = hashlib.sha256(body.encode()).hexdigest()
    return [case("vonage", secret, {"Authorization": "Bearer " + jwt({"iat": NOW, "payload_hash": ph})},
                 body, "accept", "HS256 JWT with payload_hash"),
            case("vonage", secret, {"Authorization": "Bearer " + jwt({"iat": NOW, "payload_hash": ph}, "x")},
                 body, "reject", "wrong key"),
            case("vonage", secret, {"Authorization": "Bearer " + jwt({"iat": NOW - 3600, "payload_hash": ph})},
                 body, "reject", "iat 3600 s old")]


def discord_cases():
    priv = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    pub = priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    body = '{"type":2,"id":"1"}'
    def hs(ts, b=body):
        return {"X-Signature-Ed25519": priv.sign(f"{ts}{b}".encode()).hex(), "X-Signature-Timestamp": str(ts)}
    return [case("discord", pub, hs(NOW), body, "accept", "Ed25519 over timestamp + body"),
            case("discord", pub, hs(NOW), body.replace("2", "3", 1), "reject", "body changed"),
            case("discord", pub, hs(NOW - 7200), body, "reject", "7200 s old")]


def ec_key():
    return ec.derive_private_key(0x5EED_0F_8E1A7, ec.SECP256R1())


def sendgrid_cases():
    priv = ec_key()
    spki = b64(priv.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo))
    body = '[{"email":"a@example.com","event":"delivered"}]'
    def hs(ts, key=priv):
        sig = key.sign(f"{ts}{body}".encode(), ec.ECDSA(hashes.SHA256()))
        return {"X-Twilio-Email-Event-Webhook-Signature": b64(sig),
                "X-Twilio-Email-Event-Webhook-Timestamp": str(ts)}
    other = ec.derive_private_key(12345, ec.SECP256R1())
    return [case("sendgrid", spki, hs(NOW), body, "accept", "ECDSA P-256 DER"),
            case("sendgrid", spki, hs(NOW, other), body, "reject", "other key"),
            case("sendgrid", spki, hs(NOW - 7200), body, "reject", "7200 s old")]


def plaid_cases():
    priv = ec_key()
    nums = priv.public_key().public_numbers()
    jwk = {"kty": "EC", "crv": "P-256", "kid": "own-kid-1", "alg": "ES256", "use": "sig",
           "x": b64url(nums.x.to_bytes(32, "big")), "y": b64url(nums.y.to_bytes(32, "big"))}
    body = '{"webhook_type":"ITEM","webhook_code":"WEBHOOK_UPDATE_ACKNOWLEDGED"}'
    def token(iat, b=body, kid="own-kid-1"):
        head = b64url(json.dumps({"alg": "ES256", "kid": kid, "typ": "JWT"}).encode())
        pay = b64url(json.dumps({"iat": iat, "request_body_sha256":
                                 hashlib.sha256(b.encode()).hexdigest()}).encode())
        der = priv.sign(f"{head}.{pay}".encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return f"{head}.{pay}." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
    secret = json.dumps(jwk)
    return [case("plaid", secret, {"Plaid-Verification": token(NOW - 10)}, body, "accept", "ES256 JWT"),
            case("plaid", json.dumps({"key": jwk, "request_id": "r"}), {"Plaid-Verification": token(NOW)},
                 body, "accept", "secret = whole /webhook_verification_key/get response"),
            case("plaid", secret, {"Plaid-Verification": token(NOW)}, body + " ", "reject", "body changed"),
            case("plaid", secret, {"Plaid-Verification": token(NOW - 900)}, body, "reject", "iat 900 s old")]


def tokportal_extra():
    secret = "whsec_tokportal_own_" + SECRET
    body = body_for("tokportal")
    legacy = {"X-TokPortal-Signature": hexd("sha256", secret, body), "TokPortal-Event-Id": "evt_own"}
    return [case("tokportal", secret, legacy, body, "accept", "integration-guide form: hex HMAC of body"),
            case("tokportal", secret, legacy, body + " ", "reject", "integration-guide form, body changed")]


def stripe_extra():
    secret = "whsec_own_stripe"
    body = body_for("stripe")
    good = hexd("sha256", secret, f"{NOW}.{body}")
    return [case("stripe", secret, {"Stripe-Signature": f"t={NOW},v1={'0' * 64},v1={good}"}, body,
                 "accept", "rotation: second v1 matches"),
            case("stripe", secret, {"Stripe-Signature": f"t={NOW},v0={good}"}, body, "reject",
                 "only v0"),
            case("stripe", secret, {"Stripe-Signature": "garbage"}, body, "reject", "malformed")]


def svix_unbranded_extra(provider):
    """Svix's libraries accept the unbranded Standard Webhooks headers when svix-* are absent."""
    secret = SVIX_SECRET
    body = body_for(provider)
    _, sign = svix_like(provider, "webhook", whsec)
    good = sign(secret, body, NOW - 2, None)
    both = dict(good, **{"svix-id": "msg_x", "svix-timestamp": str(NOW),
                         "svix-signature": "v1," + b64(b"y" * 32)})
    return [case(provider, secret, good, body, "accept", "unbranded webhook-* headers"),
            case(provider, secret, good, body + " ", "reject", "unbranded headers, body changed"),
            case(provider, secret, sign(secret, body, NOW - 7200, None), body, "reject",
                 "unbranded headers, validly signed 7200 s ago"),
            case(provider, secret, both, body, "reject",
                 "svix-* present and wrong: the branded headers are the ones checked")]


def generic_hmac_cases():
    secret = SECRET + "_generic"
    body = body_for("hmac")
    cfg = {"header": "X-Acme-Signature", "algorithm": "sha512", "encoding": "base64",
           "prefix": "sha512=", "template": "{timestamp}|{body}", "timestamp_header": "X-Acme-Time"}
    def hs(ts):
        return {"X-Acme-Signature": "sha512=" + b64(h("sha512", secret, f"{ts}|{body}")),
                "X-Acme-Time": str(ts)}
    simple_cfg = {"header": "X-Sig"}
    return [case("hmac", secret, hs(NOW), body, "accept", "sha512 base64 with timestamp", config=cfg),
            case("hmac", secret, hs(NOW - 7200), body, "reject", "stale", config=cfg),
            case("hmac", secret, hs(NOW), body + "x", "reject", "body changed", config=cfg),
            case("hmac", secret, {"X-Sig": hexd("sha256", secret, body)}, body, "accept",
                 "defaults: sha256 hex of body", config=simple_cfg),
            case("hmac", secret, {"X-Sig": hexd("sha1", secret, body)}, body, "reject",
                 "sha1 digest where sha256 is configured", config=simple_cfg)]


def main():
    files = {}
    for provider, sign in HMAC_PROVIDERS.items():
        files.setdefault(provider, []).extend(hmac_cases(provider, sign))
    files["twilio"] = form_url_cases("twilio", "X-Twilio-Signature")
    files["mailchimp"] = form_url_cases("mailchimp", "X-Mandrill-Signature")
    files["hubspot"].extend(hubspot_legacy_cases())
    files["linear"] = linear_cases()
    files["mailgun"] = mailgun_cases()
    files["gitlab"] = token_cases("gitlab", "X-Gitlab-Token")
    files["okta"] = token_cases("okta", "Authorization")
    files["vonage"] = vonage_cases()
    files["discord"] = discord_cases()
    files["sendgrid"] = sendgrid_cases()
    files["plaid"] = plaid_cases()
    files["tokportal"].extend(tokportal_extra())
    files["stripe"].extend(stripe_extra())
    files["svix"].extend(svix_unbranded_extra("svix"))
    files["clerk"].extend(svix_unbranded_extra("clerk"))
    files["hmac"] = generic_hmac_cases()
    for provider, cases in files.items():
        with open(os.path.join(OUT, f"{provider}.json"), "w") as f:
            json.dump(cases, f, indent=1, ensure_ascii=False)
            f.write("\n")
    print(f"wrote {sum(map(len, files.values()))} cases for {len(files)} providers to {OUT}")


if __name__ == "__main__":
    main()
