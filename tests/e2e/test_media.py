"""Media in the object store: served through Nginx, read-only, outliving web."""

import secrets

import httpx

SAVE_FILE = """
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
name = default_storage.save("e2e/{name}.txt", ContentFile({content!r}))
print(default_storage.url(name))
"""


def save_media(stack, content):
    """Saves a file through Django's default storage in a web container; its URL."""
    code = SAVE_FILE.format(name=secrets.token_hex(4), content=content)
    result = stack.manage("shell", "--command", code)
    return result.stdout.strip().splitlines()[-1]


def test_upload_is_served_through_nginx_and_survives_recreating_web(stack):
    content = f"e2e media {secrets.token_hex(8)}".encode()
    url = save_media(stack, content)
    assert url.startswith(f"{stack.base_url}/media/e2e/"), url

    served = httpx.get(url)
    assert served.status_code == 200, served.text
    assert served.content == content
    assert "sandbox" in served.headers["Content-Security-Policy"]

    web_before, s3_before = stack.container_ids("web"), stack.container_ids("s3")
    stack.compose("up", "--detach", "--force-recreate", "--wait", "web")
    web_after = stack.container_ids("web")
    assert not set(web_before) & set(web_after), "web containers were not recreated"
    assert stack.container_ids("s3") == s3_before

    again = httpx.get(url)
    assert again.status_code == 200
    assert again.content == content


def test_media_is_read_only_and_unlisted_through_nginx(stack, client):
    url = save_media(stack, b"read-only")
    path = url.removeprefix(stack.base_url)
    for refused in (client.put(path, content=b"overwritten"), client.delete(path)):
        assert refused.status_code == 405
        assert refused.json()["code"] == "method_not_allowed"
    assert client.get(path).content == b"read-only"
    assert client.get("/media/").status_code == 404

    missing = client.get("/media/e2e/no-such-file.txt")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
