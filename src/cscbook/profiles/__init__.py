"""Profiles: one page per authority, summarising every chapter's finding for it (its data, figures, findings
and page). Imports the chapters and everything below them; never the site or the build."""
