"""Drill: malformed and hostile requests must never cause a 5xx or store anything."""

import http.client
import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from bench.drills import payloads
from bench.drills.outcome import result
from bench.stack import Stack

# Counted in the web container through Django, so the figures cover the database
# and the bucket alike: rows, files, and any stored name that escaped its prefix.
STORED = """
import json
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage as storage
from apps.posts.models import Post
names = [p + n for p in ("posts/images/", "posts/thumbnails/")
         for n in storage.listdir(p)[1]]
print(json.dumps({
    "posts": Post.objects.count(),
    "users": get_user_model().objects.count(),
    "files": len(names),
    "escaped": [n for n in names if ".." in n or "\\\\" in n],
    "own_post": list(Post.objects.filter(pk=%d).values_list(
        "title", "body", "image", "published", "updated_at"))[0],
}, default=str))
"""


def hostile_requests(stack: Stack, *, token: str, quick: bool, log=print) -> dict:
    total = 100 if quick else 1000
    own_post = _own_post(stack, token)
    requests = payloads.build(
        signing_key=_signing_key(stack), own_post=own_post, total=total
    )
    before = _stored(stack, own_post)
    with (
        ThreadPoolExecutor(max_workers=6) as pool,
        httpx.Client(base_url=stack.base_url, timeout=30) as client,
    ):
        outcomes = list(
            pool.map(lambda r: _send(stack, client, r, token=token), requests)
        )
    after = _stored(stack, own_post)
    statuses = Counter(status for _, status, _ in outcomes)
    server_errors = [o for o in outcomes if o[1] >= 500]
    dropped = [o for o in outcomes if o[1] == 0]
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    summary = (
        f"{len(outcomes)} requests: {len(server_errors)} 5xx, {len(dropped)} "
        f"connections closed early; statuses "
        + " ".join(f"{s}x{n}" for s, n in sorted(statuses.items()))
        + f"; stored: {changed or 'nothing new'}"
    )
    return result(
        "hostile requests",
        not server_errors and not changed and not after["escaped"],
        summary,
        requests=len(outcomes),
        by_category=dict(Counter(r.category for r in requests)),
        statuses={str(k): v for k, v in sorted(statuses.items())},
        server_errors=[list(o) for o in server_errors[:20]],
        dropped=[list(o) for o in dropped[:20]],
        changed=changed,
    )


def _send(stack: Stack, client: httpx.Client, request, *, token: str):
    """(category, status, what) for one request; status 0 when the socket failed."""
    what = f"{request.method} {request.path[:80]}"
    try:
        if request.raw:
            status = _send_raw(stack, request, token=token)
        else:
            status = _send_httpx(client, request, token=token)
    except (httpx.HTTPError, OSError, http.client.HTTPException) as exc:
        return request.category, 0, f"{what}: {type(exc).__name__}"
    return request.category, status, what


def _headers(request, token: str) -> dict:
    headers = dict(request.headers)
    if request.authorization is None:
        headers["Authorization"] = f"Bearer {token}"
    elif request.authorization:
        headers["Authorization"] = request.authorization
    return headers


def _send_httpx(client: httpx.Client, request, *, token: str) -> int:
    headers = _headers(request, token)
    if request.upload:
        response = client.request(
            request.method,
            request.path,
            headers=headers,
            data={"title": "hostile upload"},
            files={"image": request.upload},
        )
    else:
        if request.body is not None:
            headers["Content-Type"] = request.content_type
        response = client.request(
            request.method, request.path, headers=headers, content=request.body
        )
    return response.status_code


def _send_raw(stack: Stack, request, *, token: str) -> int:
    """Byte for byte, so neither the path nor the Host header is normalised."""
    connection = http.client.HTTPConnection("127.0.0.1", stack.http_port, timeout=30)
    try:
        connection.putrequest(
            request.method, request.path, skip_host=True, skip_accept_encoding=True
        )
        headers = {"Host": f"127.0.0.1:{stack.http_port}", **_headers(request, token)}
        for name, value in headers.items():
            connection.putheader(name, value)
        body = request.body or b""
        if body:
            connection.putheader("Content-Type", request.content_type)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        return connection.getresponse().status
    finally:
        connection.close()


def _own_post(stack: Stack, token: str) -> int:
    """A post of the drill's user, for the PATCH attempts to aim at."""
    response = httpx.post(
        stack.url("/api/v1/posts/"),
        headers={"Authorization": f"Bearer {token}"},
        json={"title": "hostile drill target", "body": "unchanged", "published": False},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["id"]


def _signing_key(stack: Stack) -> str:
    """The stack's JWT key, to forge tokens that are well signed yet invalid."""
    for line in stack.env_file.read_text().splitlines():
        if line.startswith("JWT_SIGNING_KEY="):
            return line.split("=", 1)[1]
    raise ValueError(f"no JWT_SIGNING_KEY in {stack.env_file}")


def _stored(stack: Stack, own_post: int) -> dict:
    out = stack.exec("web", "python", "manage.py", "shell", "-c", STORED % own_post)
    return json.loads(out.stdout.strip().splitlines()[-1])
