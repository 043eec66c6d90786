"""WCAG 2 colour maths: relative luminance, contrast ratio, and the colour seen through
semi-transparent backgrounds. Used by the site check and by the figures (text on a coloured bar)."""

from __future__ import annotations


def composite(top: tuple[float, ...], bottom: tuple[float, float, float]) -> tuple[float, float, float]:
    """``top`` (r, g, b, alpha 0-1) drawn over an opaque ``bottom`` (r, g, b)."""
    a = top[3]
    return tuple(top[i] * a + bottom[i] * (1 - a) for i in range(3))


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


def effective_colours(fg, layers) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """The opaque text and background colours: ``layers`` are the background colours (r, g, b,
    alpha) from the element outwards, ending at the first opaque one; white is the canvas."""
    bg = (255.0, 255.0, 255.0)
    for layer in reversed(layers):
        bg = composite(layer, bg)
    return composite(fg, bg), bg
