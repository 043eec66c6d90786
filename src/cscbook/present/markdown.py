"""Markdown the pages are made of: text from the data escaped so that it shows as written, and an authority's
name linked to its profile when the build makes one. A presentation primitive: the chapters and the profiles
import it, and it imports neither."""

from __future__ import annotations

import re


def profiles_built(links: str | None = None) -> set[str]:
    """The la_codes whose profile pages the build makes, from ``links`` (codes separated by commas, or
    ``all``): the ``profile_links`` parameter the build gives every chapter and profile notebook.
    Empty when it is not given, as when a notebook runs outside the build."""
    return {c.strip() for c in (links or "").split(",") if c.strip()}


def has_profile(code: str | None, links: str | None = None) -> bool:
    built = profiles_built(links)
    return bool(code) and (code in built or "all" in {c.lower() for c in built})


def link(code: str | None, name: str | None, here: str = "profiles/", links: str | None = None) -> str:
    """The authority's name as MyST Markdown: a link to its profile page when the build makes it,
    otherwise in bold. ``here`` is the path from the linking page to the profiles folder ('' from
    another profile); ``links``: the profile pages made (see :func:`profiles_built`)."""
    label = md_escape(str(name or code or ""))
    if has_profile(code, links):
        return f"[{label}]({here}{code}.ipynb)"
    return f"**{label}**"


def md_guard(text: str) -> str:
    """Markdown made by the book, with any angle bracket not already escaped escaped: whatever a sentence
    quotes from the data, no HTML element can reach the page (the book's own Markdown uses none). A negative
    zero a format left ('-0.00') is shown as zero."""
    return re.sub(r"(?<!\\)([<>])", r"\\\1", unsigned_zero(text))


#: A zero that a format wrote with a minus sign ('-0', '-0.00', '−0.0%'), not part of a longer number or a date.
NEGATIVE_ZERO = re.compile(r"(?<![\w.,])[-\u2212](0(?:[.,]0+)?)(?![\d.,]*[1-9])")


def unsigned_zero(text: str) -> str:
    """``text`` with every negative zero shown as zero: '(-0 to 1)' -> '(0 to 1)', '-0.0 pp' -> '0.0 pp'."""
    return NEGATIVE_ZERO.sub(r"\1", text)


def unsigned_zero_html(markup: str) -> str:
    """:func:`unsigned_zero` on the text between an HTML fragment's tags, never inside a tag."""
    return re.sub(r">([^<]+)<", lambda m: ">" + unsigned_zero(m.group(1)) + "<", markup)


def md_escape(text: str) -> str:
    """``text`` as Markdown that shows it exactly: every character Markdown or HTML would read as markup
    escaped (so ``<img onerror=...>`` is text, not an element) and line breaks made spaces."""
    return re.sub(r"([\\`*_\[\]()<>{}|$~#&!:=+-])", r"\\\1", " ".join(str(text).split()))
