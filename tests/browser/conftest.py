import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

CHROMIUM = os.environ.get("ZHITONG_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("ZHITONG_SCREENSHOTS", Path(__file__).resolve().parents[2] / "test-artifacts"))
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESK = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between browser steps are ordinary synchronous ones.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `apt-get install chromium` (or set ZHITONG_CHROMIUM).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# Every page the browser tests open reports what the Content-Security-Policy refused: the
# browser fires `securitypolicyviolation` on the document (and says "Refused to ..." in its
# console); both are collected, and a test that saw one fails at its end.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => window.__cspViolation({
  directive: event.violatedDirective, blocked: event.blockedURI, sample: event.sample,
  source: `${event.sourceFile}:${event.lineNumber}`, page: document.location.href,
}));
"""


@pytest.fixture
def csp_violations():
    """What the Content-Security-Policy refused on the pages of this test; it must stay empty
    (a test that provokes a refusal on purpose reads and clears it)."""
    return []


@pytest.fixture
def open_page(browser, csp_violations):
    """A new page in a new browser context (its own cookies), watched for CSP violations."""
    contexts = []

    def console_message(message):
        if "Content Security Policy" in message.text:
            csp_violations.append({"console": message.text, "page": message.page.url if message.page else ""})

    def open_new(device: dict):
        context = browser.new_context(locale="zh-CN", **device)
        contexts.append(context)
        context.expose_binding("__cspViolation", lambda source, report: csp_violations.append(report))
        context.add_init_script(REPORT_VIOLATIONS)
        context.on("console", console_message)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_new
    for context in contexts:
        for page in context.pages:
            # A round trip to each page delivers the reports it has already sent.
            page.evaluate("() => new Promise((done) => setTimeout(done, 50))")
        context.close()
    if csp_violations:
        pytest.fail(f"Content-Security-Policy violations: {csp_violations}")


@pytest.fixture
def sign_in(open_page, live_server):
    def open_as(username: str, device: dict):
        page = open_page(device)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", "zhitong-demo")
        page.locator("main form button[type=submit]").click()
        expect(page).to_have_url(f"{live_server.url}/")
        return page

    return open_as
