"""Static files: collected at start, served by WhiteNoise, cached by Nginx."""

import re

STYLESHEET = re.compile(r'href="(/static/admin/css/[^"]+\.css)"')


def test_admin_login_page_and_its_css_are_served(client):
    page = client.get("/admin/login/")
    assert page.status_code == 200
    stylesheets = STYLESHEET.findall(page.text)
    assert stylesheets, "the admin page links no stylesheet"

    for href in stylesheets:
        # Manifest storage: hashed names, cacheable for a year.
        assert re.search(r"\.[0-9a-f]{12}\.css$", href), href
        css = client.get(href)
        assert css.status_code == 200, href
        assert css.headers["Content-Type"].startswith("text/css")
        assert "max-age=31536000" in css.headers["Cache-Control"]
        assert len(css.content) > 0


def test_static_files_are_cached_by_nginx(client):
    href = STYLESHEET.findall(client.get("/admin/login/").text)[0]
    client.get(href)
    again = client.get(href)
    assert again.headers["X-Cache-Status"] == "HIT"


def test_missing_static_file_is_404(client):
    assert client.get("/static/admin/css/no-such-file.css").status_code == 404
