"""The few API calls the harness itself makes: an account, a token, posts."""

import io

import httpx

EMAIL = "bench@example.com"
PASSWORD = "bench-" + "correct-horse-battery"


def access_token(base_url: str, *, email: str = EMAIL, password: str = PASSWORD) -> str:
    """A JWT access token for the benchmark's account, registering it if needed."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        credentials = {"email": email, "password": password}
        response = client.post("/api/v1/auth/token/", json=credentials)
        if response.status_code == 401:
            client.post("/api/v1/auth/register/", json=credentials).raise_for_status()
            response = client.post("/api/v1/auth/token/", json=credentials)
        response.raise_for_status()
        return response.json()["access"]


def gradient_png(size: int = 4000) -> bytes:
    """A small PNG of many pixels: cheap to upload, slow enough to thumbnail
    (most of a second) that a drill finds tasks in flight."""
    from PIL import Image

    image = Image.linear_gradient("L").resize((size, size)).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def create_image_post(client: httpx.Client, *, token: str, image: bytes, title: str):
    """POST a published post with an image; return the response."""
    return client.post(
        "/api/v1/posts/",
        headers={"Authorization": f"Bearer {token}"},
        data={"title": title, "body": "", "published": "true"},
        files={"image": ("drill.png", image, "image/png")},
    )
