"""The API docs and the admin in a real browser (headless Chromium), through Nginx.

Each page must work as served: under its Content-Security-Policy, with no console
error, loading nothing from another origin (Swagger UI is the project's pinned copy,
never a CDN's). A screenshot of the docs page is kept under reports/.
"""

import secrets

from playwright.sync_api import expect

from tests.e2e.browser import watched_page
from tests.support.api import ME, TOKEN, register, remember_secret
from tests.support.compose import REPORTS

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
SCREENSHOT = REPORTS / "browser-api-docs.png"
# Swagger UI renders the whole schema on load; this machine may be busy.
RENDER_TIMEOUT_MS = 30_000


def schema_operations(client):
    response = client.get("/api/schema/", params={"format": "json"})
    assert response.status_code == 200, response.text
    return {
        (method.upper(), path)
        for path, item in response.json()["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def listed_operations(page):
    return {
        tuple(operation)
        for operation in page.eval_on_selector_all(
            ".opblock",
            """blocks => blocks.map(block => [
                block.querySelector(".opblock-summary-method").textContent,
                block.querySelector(".opblock-summary-path").dataset.path,
            ])""",
        )
    }


def authorize(page, access):
    page.locator(".auth-wrapper button.authorize").click()
    dialog = page.locator(".modal-ux")
    dialog.locator("input").fill(access)
    dialog.locator("button.authorize").click()
    dialog.locator("button.btn-done").click()


def try_out(page, method, path):
    """Run one operation from its panel; returns the locator of its live response."""
    operation = page.locator(f'.opblock-{method}:has([data-path="{path}"])')
    operation.locator(".opblock-summary").first.click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    return operation.locator(".live-responses-table")


def test_docs_page_lists_every_operation_and_runs_one_with_a_jwt(
    stack, client, browser
):
    expected = schema_operations(client)
    credentials = register(client, prefix="e2e-browser")
    tokens = client.post(TOKEN, json=credentials)
    assert tokens.status_code == 200, tokens.text
    access = remember_secret(tokens.json()["access"])
    remember_secret(tokens.json()["refresh"])

    page, problems = watched_page(
        browser, stack.base_url, viewport={"width": 1280, "height": 900}
    )
    page.goto(f"{stack.base_url}/api/docs/")
    page.locator(".opblock").first.wait_for(timeout=RENDER_TIMEOUT_MS)
    assert listed_operations(page) == expected

    authorize(page, access)
    response = try_out(page, "get", ME)
    expect(response.locator("tr.response .response-col_status")).to_have_text(
        "200", timeout=RENDER_TIMEOUT_MS
    )
    expect(response).to_contain_text(credentials["email"])

    REPORTS.mkdir(exist_ok=True)
    # The curl line Swagger UI shows spells out the token: masked in the artifact.
    page.screenshot(
        path=SCREENSHOT, full_page=True, mask=[page.locator(".curl-command")]
    )
    assert problems.all() == {}


def test_admin_login_and_index_render_under_the_policy(stack, browser):
    admin = {
        "DJANGO_SUPERUSER_EMAIL": f"admin-{secrets.token_hex(4)}@example.com",
        "DJANGO_SUPERUSER_PASSWORD": remember_secret(secrets.token_urlsafe(18)),
    }
    stack.manage("createsuperuser", "--noinput", env_vars=admin)

    page, problems = watched_page(browser, stack.base_url)
    page.goto(f"{stack.base_url}/admin/login/")
    expect(page.locator("#login-form")).to_be_visible()
    # The stylesheet applied: the header has the admin's colours, not the default.
    header = page.locator("#header")
    assert header.evaluate("e => getComputedStyle(e).backgroundColor") != (
        "rgba(0, 0, 0, 0)"
    )

    page.fill("#id_username", admin["DJANGO_SUPERUSER_EMAIL"])
    page.fill("#id_password", admin["DJANGO_SUPERUSER_PASSWORD"])
    page.click("input[type=submit]")
    expect(page.locator("#content h1")).to_have_text("Site administration")
    assert problems.all() == {}


def test_a_csp_violation_on_the_docs_page_is_reported(stack, browser):
    # What the tests above rely on: code the policy refuses (an inline script with no
    # nonce, added as an injected script would be) never runs, and the watched page
    # reports it, so `problems.all() == {}` fails.
    page, problems = watched_page(browser, stack.base_url)
    page.goto(f"{stack.base_url}/api/docs/")
    page.locator(".opblock").first.wait_for(timeout=RENDER_TIMEOUT_MS)
    assert problems.all() == {}
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.head.appendChild(script);
        }"""
    )
    # The browser reports a violation asynchronously: give it up to 5 s.
    for _ in range(50):
        if problems.csp_violations:
            break
        page.wait_for_timeout(100)
    assert page.evaluate("() => window.injected") is None
    assert [v for v in problems.csp_violations if v.startswith("script-src")], problems
