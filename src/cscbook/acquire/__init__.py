"""Acquire: download the published files (fetch) and generate synthetic England (synth)."""
