"""Malformed and hostile requests for the hostile drill, as plain data.

None of them is a valid write: every one must be refused with a 4xx, so after the
drill nothing new may be stored. Categories and their share of the requests:
oversized bodies, bad JSON, bad tokens, path traversal (upload filenames and raw
URL paths), bad ids and query strings, protocol abuse (Host, headers, methods).
"""

import base64
import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass

POSTS = "/api/v1/posts/"
ME = "/api/v1/users/me/"
QUOTAS = {
    "oversized": 30,
    "bad_json": 250,
    "bad_token": 250,
    "traversal": 220,
    "bad_input": 150,
    "protocol": 100,
}


@dataclass(frozen=True)
class Hostile:
    category: str
    method: str
    path: str
    # None: send the drill's valid token; "": no Authorization header.
    authorization: str | bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    content_type: str = "application/json"
    # (filename, content, content type) sent as multipart field "image".
    upload: tuple[str, bytes, str] | None = None
    # Send the path byte for byte, unnormalised (raw http.client).
    raw: bool = False


def build(*, signing_key: str, own_post: int, total: int = 1000) -> list[Hostile]:
    """`total` requests spread over the categories in the proportions of QUOTAS."""
    variants = {
        "oversized": _oversized(),
        "bad_json": _bad_json(own_post),
        "bad_token": _bad_tokens(signing_key),
        "traversal": _traversal(own_post),
        "bad_input": _bad_input(),
        "protocol": _protocol(),
    }
    scale = total / sum(QUOTAS.values())
    counts = {name: round(quota * scale) for name, quota in QUOTAS.items()}
    counts["bad_json"] += total - sum(counts.values())
    requests = []
    for name, count in counts.items():
        requests += itertools.islice(itertools.cycle(variants[name]), count)
    return requests


def _json(category, body, *, path=POSTS, method="POST", **kwargs) -> Hostile:
    if isinstance(body, str):
        body = body.encode()
    return Hostile(category, method, path, body=body, **kwargs)


def _oversized() -> list[Hostile]:
    return [
        # Past Django's DATA_UPLOAD_MAX_MEMORY_SIZE, under Nginx's limit.
        _json("oversized", json.dumps({"title": "x" * 3_000_000})),
        # Past Nginx's client_max_body_size.
        _json("oversized", b"{" + b" " * 11_000_000 + b"}"),
        _json("oversized", json.dumps({"title": "t", "body": "b" * 25_000})),
        _json("oversized", json.dumps({"title": "t" * 5_000})),
        _json("oversized", json.dumps([{"title": "t"}] * 20_000)),
        Hostile(
            "oversized",
            "POST",
            POSTS,
            upload=("big.png", b"\0" * 6_000_000, "image/png"),
        ),
    ]


def _bad_json(own_post: int) -> list[Hostile]:
    bodies = [
        '{"title": "x"', '{"title": "x",}', "{'title': 'x'}", "", "null", "[]",
        '"title"', "12345", '{"title": NaN}', '{"title": Infinity}',
        '{"title": "t", "published": 1e999999}', '{"title": {"$gt": ""}}',
        '{"title": ["a", "b"]}',
        '{"title": null}', '{"title": "\\u0000"}', '{"title": "a\\u0000b"}',
        '{"title": "\\ud800"}', '{"title": "\\udfff x"}', '{"title": true}',
        '{"title": "", "author": 1, "id": 1, "image_status": "ready"}',
        '{"title": "t", "published": "maybe"}', '{"title": "t", "published": []}',
        '{"title": "   "}', '{"body": "no title"}', "[" * 100_000 + "]" * 100_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000, '{"title": "t"} trailing',
    ]  # fmt: skip
    requests = [_json("bad_json", body) for body in bodies]
    requests += [
        _json("bad_json", b"\xff\xfe\xfd{not utf-8}"),
        _json("bad_json", b'{"title": "\xc3\x28"}'),
        _json("bad_json", '{"title": "t"}', content_type="text/plain"),
        _json("bad_json", '{"title": "t"}', content_type="application/xml"),
        _json("bad_json", "title=t", content_type="application/x-www-form-urlencoded"),
        _json("bad_json", '{"title": "t"}', content_type="multipart/form-data"),
        _json(
            "bad_json", "--x\r\nbroken", content_type="multipart/form-data; boundary=x"
        ),
        _json("bad_json", '{"title": ""}', path=f"{POSTS}{own_post}/", method="PATCH"),
        _json("bad_json", '{"title": 5', path=f"{POSTS}{own_post}/", method="PATCH"),
        _json("bad_json", "[" * 100_000, path="/api/v1/auth/register/",
              authorization=""),
        _json("bad_json", '{"email": 1}', path="/api/v1/auth/token/", authorization=""),
        _json("bad_json", '{"refresh": []}', path="/api/v1/auth/token/refresh/",
              authorization=""),
    ]  # fmt: skip
    return requests


def _bad_tokens(signing_key: str) -> list[Hostile]:
    now = int(time.time())
    claims = {"token_type": "access", "user_id": 1, "jti": "x", "exp": now + 3600}
    tokens = [
        "Bearer garbage", "Bearer ", "Bearer", "Bearer a.b.c", "Bearer ....",
        "Token abc", "Basic Zm9vOmJhcg==", "Bearer x y z", "Bearer " + "A" * 6000,
        "bearer abc", "Bearer\tabc",
        "Bearer " + _jwt({"alg": "none", "typ": "JWT"}, claims, key=None),
        "Bearer " + _jwt({"alg": "HS256", "typ": "JWT"}, claims, key="wrong-key"),
        "Bearer " + _jwt({"alg": "HS512", "typ": "JWT"}, claims, key=signing_key),
        "Bearer " + _jwt(_HS256, {**claims, "exp": now - 60}, key=signing_key),
        "Bearer " + _jwt(_HS256, {**claims, "token_type": "refresh"}, key=signing_key),
        "Bearer " + _jwt(_HS256, {**claims, "user_id": 999_999_999}, key=signing_key),
        "Bearer " + _jwt(_HS256, {**claims, "user_id": "1 OR 1=1"}, key=signing_key),
        "Bearer " + _jwt(_HS256, {**claims, "user_id": 10**30}, key=signing_key),
        "Bearer " + _jwt(_HS256, {k: v for k, v in claims.items() if k != "exp"},
                         key=signing_key),
    ]  # fmt: skip
    targets = [
        ("GET", ME, None),
        ("POST", POSTS, b'{"title": "must not be stored"}'),
        ("GET", POSTS, None),
        ("DELETE", f"{POSTS}1/", None),
    ]
    requests = [
        # Raw: an HTTP client library refuses to send some of these headers.
        Hostile("bad_token", method, path, authorization=token, body=body, raw=True)
        for token in tokens
        for method, path, body in targets
    ]
    requests.append(
        Hostile("bad_token", "GET", ME, authorization=b"Bearer \xff\xfe\xfa", raw=True)
    )
    return requests


_HS256 = {"alg": "HS256", "typ": "JWT"}


def _jwt(header: dict, claims: dict, *, key: str | None) -> str:
    """A JWT with the given header and claims, signed with `key` (None: unsigned)."""
    signing_input = _b64(json.dumps(header)) + "." + _b64(json.dumps(claims))
    if key is None:
        return signing_input + "."
    digest = hashlib.sha512 if header["alg"] == "HS512" else hashlib.sha256
    signature = hmac.new(key.encode(), signing_input.encode(), digest).digest()
    return signing_input + "." + _b64(signature)


def _b64(data) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _traversal(own_post: int) -> list[Hostile]:
    names = [
        "../../../../etc/passwd", "..\\..\\..\\windows\\win.ini", "/etc/passwd",
        "....//....//etc/passwd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "a/../../../b.png", ".htaccess", "x.png.php", "x" * 1000 + ".png",
        "../posts/images/existing.png", "C:\\boot.ini", "\u202egnp.exe",
        "..%c0%af..%c0%afetc%c0%afpasswd.png", "~/.ssh/id_rsa",
    ]  # fmt: skip
    contents = [
        (b"root:x:0:0:root:/root:/bin/bash\n", "image/png"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png"),
        (b"GIF89a<script>alert(1)</script>", "image/gif"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>',
         "image/svg+xml"),
        (b"PK\x03\x04" + b"\0" * 100, "image/jpeg"),
        (b"", "image/png"),
    ]  # fmt: skip
    uploads = [
        Hostile(
            "traversal",
            method,
            path,
            upload=(name, content, kind),
        )
        for (name, (content, kind)), (method, path) in zip(
            itertools.product(names, contents),
            itertools.cycle([("POST", POSTS), ("PATCH", f"{POSTS}{own_post}/")]),
        )
    ]
    paths = [
        "/media/../../etc/passwd", "/media/..%2f..%2fetc%2fpasswd",
        "/media/%2e%2e/%2e%2e/etc/passwd", "/static/../../app/config/settings/base.py",
        "/static/..%2f..%2fconfig%2fsettings%2fbase.py", "/media/posts/..%5c..%5cetc",
        "/api/v1/posts/..%2f..%2fusers%2fme%2f", "/media/posts%00/x", "/media/",
        "/media/?list-type=2", "/media/x?acl", "/static/../../../../etc/shadow",
        "//etc/passwd", "/..;/admin/", "/%2e%2e/%2e%2e/etc/passwd",
    ]  # fmt: skip
    uploads += [Hostile("traversal", "GET", path, raw=True) for path in paths]
    return uploads


def _bad_input() -> list[Hostile]:
    paths = [
        f"{POSTS}abc/", f"{POSTS}-1/", f"{POSTS}{'9' * 30}/", f"{POSTS}1.5/",
        f"{POSTS}%00/", f"{POSTS}0x10/", f"{POSTS}1%20OR%201=1/",
        f"{POSTS}?page=0", f"{POSTS}?page=-1", f"{POSTS}?page=abc",
        f"{POSTS}?page=99999999999", f"{POSTS}?page=1e10", f"{POSTS}?page_size=-5",
        f"{POSTS}?page_size=100000000", f"{POSTS}?page_size=abc",
        f"{POSTS}?ordering=password", f"{POSTS}?ordering=author__password",
        f"{POSTS}?ordering=-created_at,;drop%20table",
        f"{POSTS}?search=%27%20OR%201=1--",
        f"{POSTS}?search=%00", f"{POSTS}?search={'x' * 5000}", f"{POSTS}?author=abc",
        f"{POSTS}?author={'9' * 40}", f"{POSTS}?author=-1", f"{POSTS}?published=maybe",
        f"{POSTS}?page=2&page=abc", f"{POSTS}?%ff=%fe", "/api/v1/../../etc/passwd",
        "/api/v1/posts", "/api/v2/posts/", "/admin/../api/v1/posts/",
    ]  # fmt: skip
    requests = [Hostile("bad_input", "GET", path, raw=True) for path in paths]
    requests += [
        Hostile("bad_input", "GET", f"{POSTS}{'9' * 30}/", authorization=""),
        Hostile("bad_input", "PUT", POSTS, body=b'{"title": "t"}'),
        Hostile("bad_input", "DELETE", POSTS),
        Hostile("bad_input", "PATCH", f"{POSTS}999999999/", body=b'{"title": "t"}'),
    ]
    return requests


def _protocol() -> list[Hostile]:
    return [
        Hostile("protocol", "GET", POSTS, headers=(("Host", "evil.example.com"),),
                raw=True),
        Hostile("protocol", "GET", POSTS, headers=(("Host", "127.0.0.1:1@evil"),),
                raw=True),
        Hostile("protocol", "GET", POSTS, headers=(("X-Big", "x" * 20_000),), raw=True),
        Hostile("protocol", "GET", POSTS, headers=(("Cookie", "a=" + "b" * 12_000),),
                raw=True),
        Hostile("protocol", "GET", POSTS,
                headers=(("X-Request-ID", "evil\tvalue" + "x" * 3000),), raw=True),
        Hostile("protocol", "GET", POSTS,
                headers=(("X-Forwarded-For", "not-an-ip, ::zz, 999.1.1.1"),), raw=True),
        Hostile("protocol", "GET", POSTS,
                headers=(("X-Forwarded-Proto", "gopher"),), raw=True),
        Hostile("protocol", "TRACE", "/", raw=True),
        Hostile("protocol", "PROPFIND", POSTS, raw=True),
        Hostile("protocol", "CONNECT", "127.0.0.1:22", raw=True),
        Hostile("protocol", "OPTIONS", "*", raw=True),
        Hostile("protocol", "GET", "/" + "a" * 9000, raw=True),
        Hostile("protocol", "GET", "/admin/login/?next=//evil.example.com", raw=True),
        Hostile("protocol", "POST", "/api/v1/auth/token/", authorization="",
                body=b'{"email": "x@example.com", "password": "wrong"}'),
    ]  # fmt: skip
