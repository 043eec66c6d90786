"""Pressures on children's social care in England: an open analysis book."""

__version__ = "0.1.0"
