"""The README's screenshots: a team's conversation in a room, at 375 and 1280 px wide.

    make screenshots        # runs .venv/bin/python -m tests.screenshots

It starts the Procfile's server on a SQLite database in a temporary folder,
registers a small team through the real forms, lets them talk in
design-review, opens the room for each of them and photographs maria's page
while dev types. It writes docs/screenshots/room-375.png and room-1280.png
and nothing else in the checkout. Not a test (pytest does not collect it): ``make test`` leaves the
pictures alone, and tests/test_browser.py checks the layout they show.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from deploy.launcher import ROOT
from tests.support.browser import (
    DESKTOP,
    PHONE,
    SOCKETIO_JS,
    Account,
    Tabs,
    WebServer,
    launch_chromium,
    screenshot_while_typing,
    show_room_at,
    wait_for_texts,
)

SCREENSHOTS = ROOT / "docs" / "screenshots"
ROOM = "design-review"
TEAM = ("maria", "dev", "priya", "tom")
CONVERSATION = [
    ("maria", "Morning! The new room layout is on staging. Could you all try it on your phones today?"),
    ("dev", "Tried it on the train: the message box stays above the keyboard now. Much better."),
    ("priya", "Unread counts read well in the room list. Could the timestamps be a little lighter?"),
    ("maria", "Good idea, I'll use the muted grey from the palette."),
    (
        "tom",
        "Long messages wrap properly too. I pasted a whole stack trace from yesterday's incident "
        "and nothing ran off the side of the screen.",
    ),
    ("priya", "Then I'm happy with it. Ship it after lunch?"),
    ("maria", "Sounds good. dev, can you write the release note?"),
]
PICTURES = ((PHONE, "room-375.png"), (DESKTOP, "room-1280.png"))


def main() -> None:
    if not SOCKETIO_JS.exists():
        sys.exit("the browser's socket.io client is missing: run make install")
    with (
        tempfile.TemporaryDirectory(prefix="parley-screenshots-") as workdir,
        WebServer(Path(workdir)) as server,
    ):
        take(server)
    for _, name in PICTURES:
        print(SCREENSHOTS / name)


def take(server: WebServer) -> None:
    team = {name: Account(server, name) for name in TEAM}
    try:
        slug = team["maria"].create_room(ROOM)
        for author, text in CONVERSATION:
            team[author].say(slug, text)
        with sync_playwright() as playwright:
            chromium = launch_chromium(playwright)
            tabs = Tabs(chromium, server)
            try:
                # Everyone has the room open, so the member list shows the whole team.
                pages = {name: tabs.room(account, slug) for name, account in team.items()}
                maria, dev = pages["maria"], pages["dev"]
                wait_for_texts(maria, [text for _, text in CONVERSATION])
                for viewport, name in PICTURES:
                    show_room_at(maria, viewport, "dev")
                    screenshot_while_typing(maria, dev, SCREENSHOTS / name)
                if tabs.errors:
                    sys.exit(f"script errors on the page: {tabs.errors}")
            finally:
                tabs.close()
                chromium.close()
    finally:
        for account in team.values():
            account.close()


if __name__ == "__main__":
    main()
