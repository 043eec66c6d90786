"""Site: Jupyter Book run on a staged book, its PDF edition, and the checks of a built site in Chromium
(accessibility, links). Imports only the base modules: what it builds is handed to it by the build."""
