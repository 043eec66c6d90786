"""The site: Jupyter Book run on the staged source, its pages tidied, and the result swapped into
``build_dir/html`` whole."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

from cscbook import procs
from cscbook.errors import UserError
from cscbook.fsutil import remove_tree, swap_in


def jupyter_book_env() -> dict[str, str]:
    """The environment Jupyter Book runs in: this process's, without the debugger's warning about frozen
    modules (not a warning of the book's)."""
    return dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")


def jupyter_book_command(st: Path, out: Path, extra: list[str] | None = None) -> list[str]:
    """Jupyter Book on the staged book ``st`` into ``out``: warnings are errors, references are checked
    nitpickily, and every warning is reported before it stops. ``extra``: another builder, toc or config."""
    jb = str(Path(sys.executable).parent / "jupyter-book")
    return [jb, "build", str(st), "--path-output", str(out), *(extra or []), "-W", "-n", "--keep-going", "-q"]


def build_book(st: Path, build_dir: Path, site_key: str = "", before_swap=None) -> Path:
    """Run Jupyter Book (warnings are errors, references checked nitpickily) and swap the new site into
    ``build_dir/html``. ``before_swap(html)`` adds to the new site what is made beside it (the PDF)."""
    out = build_dir / "book-out"
    remove_tree(out)
    proc = procs.run(jupyter_book_command(st, out), env=jupyter_book_env())  # ends with this process
    html = out / "_build" / "html"
    if proc.returncode != 0 or not (html / "index.html").exists():
        raise UserError(
            "jupyter-book", first_problem(proc.stderr + proc.stdout), "the book must build without warnings"
        )
    fix_pages(html)
    if before_swap is not None:
        before_swap(html)
    (html / ".site-key").write_text(site_key)
    target = build_dir / "html"
    swap_in(html, target)
    shutil.rmtree(out, ignore_errors=True)
    return target


def first_problem(text: str) -> str:
    """The first line of Jupyter Book's output that names a warning or an error (else its last 300 characters)."""
    lines = (ln.strip() for ln in text.splitlines())
    return next((ln for ln in lines if "WARNING" in ln or "ERROR" in ln or "Error" in ln), text.strip()[-300:])


_INLINE_SCRIPT = re.compile(r"<script>[^<]*</script>\n?")
#: What axe-core finds in every page Jupyter Book and its theme write, with the mend: controls whose
#: accessible name leaves out their visible text (label-content-name-mismatch, summary-name) and the
#: bibliography's list items (aria-required-children).
_NAMED_CONTROLS = (
    # the search field shows 'Search Ctrl+K': without its aria-label its name is that text
    (re.compile(r'(<button class="btn search-button-field[^"]*"[^>]*?) aria-label="Search"'), r"\1"),
    # the colour-mode button's icons carry titles ('Light', 'Dark') its 'Color mode' name leaves out;
    # the button's own tooltip names it
    (re.compile(r'(<i class="theme-switch [^"]*" data-mode="\w+") title="[^"]*"'), r"\1"),
    # the sidebar's section toggles show only an arrow
    (re.compile(r"<summary>(<span class=\"toctree-toggle\")"), r'<summary aria-label="Pages in this section">\1'),
    # docutils lists the bibliography's entries (role "list") as "doc-biblioentry", a role ARIA 1.2
    # deprecates and that a list may not hold: they are its items
    (re.compile(r'(<div class="citation" id="[^"]*") role="doc-biblioentry"'), r'\1 role="listitem"'),
)


def fix_pages(html_dir: Path) -> int:
    """Mend what Jupyter Book 1.0.4 and its theme write into every page; returns the pages changed.

    In the head, only the first copy of each inline script is kept: sphinx-thebe's and
    sphinx-togglebutton's setup scripts are written twice, and the second ``const THEBE_JS_URL`` is
    a console error in every browser. In the body, the theme's controls get whole accessible names
    (:data:`_NAMED_CONTROLS`).
    """
    changed = 0
    for page in html_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        head, sep, body = text.partition("</head>")
        new = _drop_repeats(head) + sep + _name_controls(body)
        if new != text:
            page.write_text(new, encoding="utf-8")
            changed += 1
    return changed


def _name_controls(body: str) -> str:
    for pattern, repl in _NAMED_CONTROLS:
        body = pattern.sub(repl, body)
    return body


def _drop_repeats(head: str) -> str:
    seen: set[str] = set()

    def once(m: re.Match) -> str:
        key = m.group(0).strip()
        if key in seen:
            return ""
        seen.add(key)
        return m.group(0)

    return _INLINE_SCRIPT.sub(once, head)
