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
    quotes from the data, no HTML element can reach the page (the book's own Markdown uses none)."""
    return re.sub(r"(?<!\\)([<>])", r"\\\1", text)


def md_escape(text: str) -> str:
    """``text`` as Markdown that shows it exactly: every character Markdown or HTML would read as markup
    escaped (so ``<img onerror=...>`` is text, not an element) and line breaks made spaces."""
    return re.sub(r"([\\`*_\[\]()<>{}|$~#&!:=+-])", r"\\\1", " ".join(str(text).split()))
