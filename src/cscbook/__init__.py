"""Pressures on children's social care in England: an open analysis book."""

from pathlib import Path

__version__ = "0.1.0"
#: The checkout: the book's pages, configuration, data and pinned requirements.
ROOT = Path(__file__).resolve().parents[2]
