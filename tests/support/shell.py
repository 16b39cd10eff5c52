"""Reading the app shell in a browser test: the sidebar's counts, a signed-in page with its socket."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.support.browser import DESKTOP, WAIT_MS

if TYPE_CHECKING:  # annotations only
    from playwright.sync_api import Page

    from tests.support.browser import Account, Tabs

BADGES_JS = """(slug) => {
    const li = document.querySelector('#sidebar li[data-room="' + slug + '"]');
    if (!li) return null;
    const count = (name) => {
        const badge = li.querySelector('.badges .' + name);
        return badge.hidden ? 0 : Number(badge.firstElementChild.textContent.replace('@', ''));
    };
    return {unread: count('unread'), mentions: count('mentions')};
}"""


def badges(page: Page, slug: str) -> dict[str, int] | None:
    """The sidebar's counts for ``slug`` on ``page`` (None: the sidebar does not list it)."""
    found: dict[str, int] | None = page.evaluate(BADGES_JS, slug)
    return found


def wait_badges(page: Page, slug: str, unread: int, mentions: int = 0, timeout: int = WAIT_MS) -> None:
    page.wait_for_function(
        f"([slug, unread, mentions]) => {{ const b = ({BADGES_JS})(slug); "
        "return b !== null && b.unread === unread && b.mentions === mentions; }",
        arg=[slug, unread, mentions],
        timeout=timeout,
    )


def sidebar_page(tabs: Tabs, account: Account, viewport: Any = DESKTOP) -> Page:
    """``account`` on the room list, its shell connected."""
    page = tabs.page(tabs.context(account, viewport))
    page.goto("/rooms")
    page.wait_for_function("() => window.parleyShell && window.parleyShell.socket().connected")
    return page
