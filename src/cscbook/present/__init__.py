"""Present: the primitives the chapters and profiles draw with (figures, colours, text escaping and links,
interactive charts). Imports analyse and the base modules; never the chapters or anything above them."""
