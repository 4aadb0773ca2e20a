"""Drive the demo page in Chromium and record what the browser actually did."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response

from devstack.prereqs import CHROMIUM

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Bounded waits: every step here takes milliseconds on loopback.
TIMEOUT_MS = 5_000
# How long to wait for Chromium to log why a fetch failed (it does so just after rejecting it).
FAILURE_REASON_TIMEOUT_S = 3.0
# A cross-origin call to any URL, made from the page the way app.js makes its calls.
FETCH_FROM_PAGE = """async (url) => {
  const outcome = { action: "fetch", method: "GET", url, status: null, body: null, error: null };
  try {
    const response = await fetch(url, { credentials: "include" });
    outcome.status = response.status;
    const text = await response.text();
    try { outcome.body = JSON.parse(text); } catch { outcome.body = text; }
  } catch (error) {
    outcome.error = `${error.name}: ${error.message}`;
  }
  return outcome;
}"""


@dataclass
class Outcome:
    """One click: what the page displayed and what the browser did meanwhile."""

    result: dict[str, Any]
    requests: list[str] = field(default_factory=list)  # URLs, including redirect targets
    responses: list[tuple[int, str, str | None]] = field(default_factory=list)  # status, URL, ACAO
    failed: list[tuple[str, str | None]] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    @property
    def status(self) -> int | None:
        value = self.result.get("status")
        return value if isinstance(value, int) else None

    @property
    def body(self) -> Any:
        return self.result.get("body")

    @property
    def error(self) -> str | None:
        value = self.result.get("error")
        return value if isinstance(value, str) else None

    def cors_errors(self) -> list[str]:
        return [line for line in self.console if "CORS policy" in line]

    def describe(self) -> str:
        return json.dumps(
            {
                "result": self.result,
                "requests": self.requests,
                "responses": self.responses,
                "failed": self.failed,
                "console": self.console,
            },
            indent=2,
            default=str,
        )


class SitePage:
    """The demo page on one site origin, with the browser's events recorded."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self._current = Outcome(result={})
        # What the last open() recorded: the page load, with any console message it caused.
        self.loaded = self._current
        page.on("request", self._on_request)
        page.on("response", self._on_response)
        page.on("requestfailed", self._on_failed)
        page.on("console", self._on_console)

    def _on_request(self, request: Request) -> None:
        self._current.requests.append(request.url)

    def _on_response(self, response: Response) -> None:
        allow = response.headers.get("access-control-allow-origin")
        self._current.responses.append((response.status, response.url, allow))

    def _on_failed(self, request: Request) -> None:
        self._current.failed.append((request.url, request.failure))

    def _on_console(self, message: ConsoleMessage) -> None:
        self._current.console.append(message.text)

    def open(self, url: str) -> Outcome:
        """Load the page; return what it showed once ready (or once it gave up on config)."""
        self._current = self.loaded = Outcome(result={})
        self.page.goto(url)
        self.page.wait_for_selector(
            "body[data-ready=true], #result[data-state=config-error]", state="attached"
        )
        return self._finish()

    def run(self, action: str) -> Outcome:
        self._current = Outcome(result={})
        self.page.click(f"button[data-action={action}]")
        self.page.wait_for_selector("#result[data-state=done]", state="attached")
        outcome = self._finish()
        if outcome.error:
            self._wait_for_failure_reason(outcome)
        return outcome

    def fetch(self, url: str) -> Outcome:
        """GET any URL from the page's origin with credentials, as app.js would."""
        self._current = Outcome(result={})
        outcome = self._current
        outcome.result = self.page.evaluate(FETCH_FROM_PAGE, url)
        if outcome.error:
            self._wait_for_failure_reason(outcome)
        return outcome

    def _wait_for_failure_reason(self, outcome: Outcome) -> None:
        """Let the failed request and Chromium's console line about it arrive (bounded).

        Chromium reports both just after the page sees the fetch reject; on a loaded machine
        that can take a while. If they never come, the checks say what is missing.
        """

        def recorded() -> bool:
            urls = [url for url, _ in outcome.failed]
            return any(url in line for url in urls for line in outcome.console)

        deadline = time.monotonic() + FAILURE_REASON_TIMEOUT_S
        while not recorded() and time.monotonic() < deadline:
            # Lets Playwright dispatch the pending "requestfailed" and "console" events.
            self.page.wait_for_timeout(20)

    def _finish(self) -> Outcome:
        self._current.result = json.loads(self.page.inner_text("#result"))
        return self._current

    def config_error_text(self) -> str:
        element = self.page.locator("#config-error")
        return element.inner_text() if element.is_visible() else ""


def new_site_page(browser: Browser) -> SitePage:
    # The stack's certificate is a throwaway self-signed one; accepting it is the one
    # deviation from a real user's browser.
    context = browser.new_context(ignore_https_errors=True)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return SitePage(context.new_page())


def launch_chromium(playwright: Any) -> Browser:
    browser: Browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=15_000
    )
    return browser
