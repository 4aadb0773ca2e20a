"""Drive the demo page in Chromium and record what the browser actually did."""

from __future__ import annotations

import json
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
        self._current = Outcome(result={})
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
            # Chromium logs the reason for a failed fetch just after rejecting it.
            self.page.wait_for_timeout(150)
        return outcome

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
