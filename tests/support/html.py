"""Reading pages the way a browser does, for tests that check what a page declares."""

from __future__ import annotations

from html.parser import HTMLParser


class _MetaPolicies(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.policies: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "content-security-policy":
            self.policies.append(values.get("content") or "")


def meta_policies(html: str) -> list[str]:
    """The content of every <meta http-equiv="Content-Security-Policy"> in the page, in order."""
    parser = _MetaPolicies()
    parser.feed(html)
    parser.close()
    return parser.policies
