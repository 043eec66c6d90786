"""Publish: the build. Chapter registry, cache keys, notebook execution, profiles, staging, the site,
figures, colour and the site check."""
