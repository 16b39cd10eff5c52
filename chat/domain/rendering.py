"""Rich text: a small Markdown subset, rendered to HTML and sanitised with an allow-list.

Messages keep the text as sent; the HTML beside it is what pages and the
browser client insert. Two independent guards keep script out of it:
markdown-it runs with raw HTML off (a tag in the text shows as text) and
refuses ``javascript:``-style links, then nh3 (Ammonia) keeps only the
tags, attributes and link schemes listed here.

Rendering is on every message's path, so its cost is bounded: markdown-it
is quadratic on some dense markup (thousands of ``[`` or ``*a``), so a text
with more markup characters than a person writes in a message is shown as
plain paragraphs, and bare URLs are linked only with a scheme or ``www.``.
"""

from __future__ import annotations

import re
from html import escape

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

TAGS = {"p", "br", "strong", "em", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a", "span"}
ATTRIBUTES: dict[str, set[str]] = {
    "*": set(),
    "a": {"href"},
    "ol": {"start"},
    "span": {"data-user"},
}  # "*": every tag
CLASSES = {"span": {"mention"}}
# "@name" of a username ([A-Za-z0-9_.-]), not inside a word or an e-mail address.
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9_.-]{1,32})")
URL_SCHEMES = {"http", "https", "mailto"}
# Past this much markup a text is shown as plain paragraphs (see the module's note); a
# bare URL costs the linker about as much as 25 markup characters cost the parser.
MAX_MARKUP = 250
MARKUP_CHARS = re.compile(r"[*_~`\[\]<>!]")
URL_WEIGHT = 25


def _rich() -> MarkdownIt:
    # Bold, italic, strikethrough, inline code, fenced code, quotes, lists, links (written
    # or bare). No headings, images, rules, indented code or raw HTML: "# 1" stays as typed.
    parser = (
        MarkdownIt("commonmark", {"html": False, "linkify": True, "breaks": True})
        .enable(["linkify", "strikethrough"])
        .disable(["heading", "lheading", "image", "html_block", "html_inline", "hr", "code", "reference"])
    )
    if parser.linkify is None:  # linkify-it-py is a dependency; without it nothing is linked
        raise RuntimeError("linkify-it-py is not installed")
    parser.linkify.set({"fuzzy_link": False, "fuzzy_email": False})
    parser.core.ruler.push("mentions", _mark_mentions)
    return parser


def _mark_mentions(state: StateCore) -> None:
    """Wrap ``@name`` of the usernames in ``env["mentions"]`` (lowercase -> username) in a span."""
    names: dict[str, str] = state.env.get("mentions") or {}
    if not names:
        return
    for block in state.tokens:
        if block.type == "inline" and block.children:
            block.children = [piece for token in block.children for piece in _split_mentions(token, names)]


def _split_mentions(token: Token, names: dict[str, str]) -> list[Token]:
    if token.type != "text" or "@" not in token.content:
        return [token]
    pieces, start = [], 0
    for found in MENTION.finditer(token.content):
        username = names.get(mentioned_name(found.group(1), names) or "")
        if username is None:
            continue
        end = found.start() + 1 + len(username)
        pieces.append(Token("text", "", 0, content=token.content[start : found.start()]))
        markup = f'<span class="mention" data-user="{username}">{escape(token.content[found.start() : end])}</span>'
        pieces.append(Token("html_inline", "", 0, content=markup))
        start = end
    pieces.append(Token("text", "", 0, content=token.content[start:]))
    return pieces


def mentioned_name(raw: str, names: dict[str, str] | set[str]) -> str | None:
    """The lowercase username ``@raw`` names: itself, or without the dots and dashes a sentence ends with."""
    candidate = raw.lower()
    while candidate:
        if candidate in names:
            return candidate
        if candidate[-1] not in ".-":
            return None
        candidate = candidate[:-1]
    return None


def mention_candidates(text: str) -> set[str]:
    """Every lowercase name that an ``@`` in ``text`` might mean (trailing dots and dashes dropped too)."""
    found = set()
    for raw in MENTION.findall(text):
        name = raw.lower()
        while name:
            found.add(name)
            if name[-1] not in ".-":
                break
            name = name[:-1]
    return found


RICH = _rich()
PLAIN = MarkdownIt("zero", {"breaks": True}).enable(["newline", "paragraph"])
SANITISER = nh3.Cleaner(
    tags=TAGS,
    attributes=ATTRIBUTES,
    allowed_classes=CLASSES,
    url_schemes=URL_SCHEMES,
    link_rel="noopener noreferrer nofollow",
    set_tag_attribute_values={"a": {"target": "_blank"}},
    strip_comments=True,
)


# Most chat lines are one plain line: nothing in them that Markdown, the linker or a mention
# would touch, and nothing to escape. Their HTML is known without parsing; a test checks that
# it is what the parser and the sanitiser would give for every such line.
PLAIN_LINE = re.compile(r"[^*_~`\[\]<>!&\\#|@:\n\r]+")
STARTS_A_LIST = re.compile(r"[-+=]|\d{1,9}[.)]")


def is_plain_line(text: str) -> bool:
    """Whether ``text`` is one line that renders as itself in a paragraph."""
    return (
        PLAIN_LINE.fullmatch(text) is not None
        and text.isprintable()
        and "www." not in text.lower()
        and STARTS_A_LIST.match(text) is None
    )


def render(text: str, mentions: dict[str, str] | None = None) -> str:
    """The sanitised HTML of ``text``; links open in a new tab with no referrer and no follow.

    ``mentions`` maps the lowercase names of existing users to their usernames:
    their ``@name`` is marked, others stay text.
    """
    if is_plain_line(text):
        return f"<p>{text}</p>"
    dense = len(MARKUP_CHARS.findall(text)) + URL_WEIGHT * text.count("://") > MAX_MARKUP
    return SANITISER.clean((PLAIN if dense else RICH).render(text, {"mentions": mentions or {}})).strip()
