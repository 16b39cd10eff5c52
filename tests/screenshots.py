"""The README's screenshots: a team's conversation in a room, at 375 and 1280 px wide.

    make screenshots        # runs .venv/bin/python -m tests.screenshots

It starts the Procfile's server on a SQLite database in a temporary folder,
registers a small team through the real forms, lets them talk in
design-review, has some of them write in other rooms and to maria directly
(her sidebar shows those unread, a mention apart), opens the room for each of
them and photographs maria's page while dev types. It writes docs/screenshots/room-375.png and room-1280.png
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
# What waits for maria elsewhere: (author, room, private, text), and priya's direct message.
ELSEWHERE = [
    ("tom", "launch-plans", False, "Checklist for Thursday is in the doc."),
    ("tom", "launch-plans", False, "@maria can you confirm the press date?"),
    ("dev", "incident-42", True, "Postmortem draft is up, comments welcome."),
    ("priya", "coffee-corner", False, "Cake in the kitchen 🎂"),
]
DIRECT = ("priya", "Lunch at 12 today?")


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
        elsewhere(server, team)
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


def elsewhere(server: WebServer, team: dict[str, Account]) -> None:
    """Rooms maria belongs to with messages she has not read, and a direct message to her."""
    maria = team["maria"]
    made: set[str] = set()
    for author, room, private, text in ELSEWHERE:
        account = team[author]
        if room not in made:
            slug = account.create_room(room, private=private)
            made.add(room)
            if private:
                account.post(f"/r/{slug}/members", {"username": "maria"})
            else:
                maria.http.get(f"{server.base_url}/r/{slug}")  # a member from now on
        account.say(room, text)
    author, text = DIRECT
    opened = team[author].post(f"/dm/{maria.username}", {})
    team[author].say(opened.headers["Location"].rsplit("/r/", 1)[1], text)


if __name__ == "__main__":
    main()
