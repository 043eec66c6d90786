"""Acquire: download the published files (fetch) and generate synthetic England (synth). Imports only the base
modules."""
