"""Playwright driving Debian's Chromium against Django's live server (a pytest plugin).

Loaded for the whole suite from the root conftest.py, so every app's browser tests share
one browser per session (Playwright's sync API allows one at a time).

Skipped, with the reason printed, where /usr/bin/chromium is absent — except in CI
(CI=true), where .ci/run installs it and a missing browser is a failure.

Every page any browser test opens is watched for Content-Security-Policy violations (Chromium
reports each one on the console, frames included): a browser test that met one fails.
"""

import os
import time
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
# Console messages reporting a blocked script, style, connection or frame, as they arrive.
csp_violations: list[str] = []


def _watch_for_csp_violations(browser) -> None:
    """Every context the browser opens reports its pages' CSP violations into csp_violations."""
    new_context = browser.new_context

    def watched_context(*args, **kwargs):
        context = new_context(*args, **kwargs)
        context.on(
            "console",
            lambda message: "Content Security Policy" in message.text and csp_violations.append(message.text),
        )
        return context

    browser.new_context = watched_context


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests
    # make around it are ordinary synchronous calls, so Django's async guard is relaxed
    # for the browser tests (and only once they start).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI; .ci/run should have installed Debian's chromium")
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        _watch_for_csp_violations(browser)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def no_csp_violations(request):
    """Fail a browser test whose pages broke the Content-Security-Policy (agora.middleware.csp)."""
    if request.node.get_closest_marker("browser") is None:
        yield
        return
    csp_violations.clear()
    yield
    assert not csp_violations, "Content-Security-Policy violations:\n" + "\n".join(csp_violations)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_until(condition, timeout: float = 5.0) -> None:
    """Poll condition() from the test until it holds.

    Playwright's page.wait_for_function evaluates its predicate with eval() inside the page, which
    our Content-Security-Policy (script-src 'self') forbids; locator.evaluate runs through the
    DevTools protocol instead, so a predicate built on it works under the policy."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition still false after {timeout} s")
        time.sleep(0.05)
