"""Snapshot: the last step of making the data (the official snapshot's writer and codebook, and the official
path ingest -> harmonise -> validate), and the data folder a build or a chapter runs on. Imports acquire, ingest,
harmonise and the base modules; never analyse or anything above it."""
