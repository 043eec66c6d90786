"""Publish: the build and its site.

registry (the chapters), data (the prepared data), cache (hashes and keys), execute (chapters run by
papermill), profile_build (profile batches), stage (the book source), site (Jupyter Book),
build (the whole build); profiles and profile_figures (the kernel side of a profile), figures and
colour (the book's figure style and WCAG colour maths); linkcheck and browsercheck (the site check)."""
