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

import nh3
from markdown_it import MarkdownIt

TAGS = {"p", "br", "strong", "em", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a"}
ATTRIBUTES: dict[str, set[str]] = {"*": set(), "a": {"href"}, "ol": {"start"}}  # "*": on every tag
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
    return parser


RICH = _rich()
PLAIN = MarkdownIt("zero", {"breaks": True}).enable(["newline", "paragraph"])
SANITISER = nh3.Cleaner(
    tags=TAGS,
    attributes=ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    link_rel="noopener noreferrer nofollow",
    set_tag_attribute_values={"a": {"target": "_blank"}},
    strip_comments=True,
)


def render(text: str) -> str:
    """The sanitised HTML of ``text``; links open in a new tab with no referrer and no follow."""
    dense = len(MARKUP_CHARS.findall(text)) + URL_WEIGHT * text.count("://") > MAX_MARKUP
    return SANITISER.clean((PLAIN if dense else RICH).render(text)).strip()
