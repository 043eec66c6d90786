"""WCAG 2 colour maths: relative luminance and contrast ratio, for the figures (text on a coloured
bar). The site's own contrast is axe-core's to check (:mod:`cscbook.site.browsercheck`)."""

from __future__ import annotations


def luminance(rgb) -> float:
    def lin(c):
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(fg, bg) -> float:
    """WCAG 2 contrast ratio of two opaque sRGB colours given as (r, g, b) in 0-255."""
    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
