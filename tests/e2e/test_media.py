"""Media in the object store: served through Nginx, read-only, outliving web, and
versioned, so an overwritten or deleted file can be brought back."""

import secrets

import httpx

from tests.support.api import POSTS, create_image_post, new_user
from tests.support.images import png

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


# Brings back an older version of a key in the media bucket, as an operator would
# after a mistake: copy that version over the current state. S3 lists a key's
# versions newest first; their LastModified has whole seconds only, so sorting by
# it cannot order two writes in the same second (CI restored the wrong one).
RESTORE_OLDER = """
from django.core.files.storage import default_storage
s3, bucket = default_storage.connection.meta.client, default_storage.bucket_name
listed = s3.list_object_versions(Bucket=bucket, Prefix={key!r})
versions = [v for v in listed.get("Versions", []) if v["Key"] == {key!r}]
older = versions[{back} - 1]
s3.copy_object(Bucket=bucket, Key={key!r},
    CopySource={{"Bucket": bucket, "Key": {key!r}, "VersionId": older["VersionId"]}})
print(len(versions), len(listed.get("DeleteMarkers", [])))
"""

# Django's storage saves under a new name rather than overwrite; a script or a
# careless client writing the same key does overwrite.
OVERWRITE = """
from django.core.files.storage import default_storage
s3, bucket = default_storage.connection.meta.client, default_storage.bucket_name
s3.put_object(Bucket=bucket, Key={key!r}, Body={content!r})
"""


def restore_version(stack, key, *, back):
    """Copies the `back`-th newest version of `key` over the current one."""
    code = RESTORE_OLDER.format(key=key, back=back)
    # The last line is the script's: (versions, delete markers); logs come first.
    return stack.manage("shell", "--command", code).stdout.splitlines()[-1].split()


def test_an_overwritten_file_is_restored_from_its_older_version(stack):
    url = save_media(stack, b"first version")
    key = url.removeprefix(f"{stack.base_url}/media/")
    stack.manage("shell", "--command", OVERWRITE.format(key=key, content=b"second"))
    assert httpx.get(url).content == b"second"

    versions, _ = restore_version(stack, key, back=2)
    assert versions == "2"
    assert httpx.get(url).content == b"first version"


def test_a_deleted_posts_image_is_gone_and_restorable_from_a_version(stack, client):
    headers = new_user(client, prefix="e2e-versions")
    post = create_image_post(client, headers, title="versioned image")
    deleted = client.delete(f"{POSTS}{post['id']}/", headers=headers)
    assert deleted.status_code == 204, deleted.text
    # Deleting the post deletes its current file: a delete marker hides it.
    assert httpx.get(post["image"]).status_code == 404

    key = post["image"].removeprefix(f"{stack.base_url}/media/")
    _, markers = restore_version(stack, key, back=1)
    assert markers == "1"
    restored = httpx.get(post["image"])
    assert restored.status_code == 200
    assert restored.content == png()
