"""Every chapter ends with exercises whose solutions stay hidden until asked for, and their commands
(and the teaching page's) are real."""

from __future__ import annotations

import re

import nbformat
import pytest

from cscbook.build import registry

from .test_reference_pages import BOOK, check_command, command_lines

CHAPTERS = [c.id for c in registry.chapters()]
#: Percentages an exercise may name: the methods' own levels (a funnel's limits, a test's size), not results.
METHOD_LEVELS = {"95%", "99.8%", "0.2%", "5%"}


def _exercises(chapter: str) -> str:
    nb = nbformat.read(BOOK / f"{chapter}.ipynb", as_version=4)
    cells = [c for c in nb.cells if c.get("id") == "exercises"]
    assert len(cells) == 1 and nb.cells[-1] is cells[0], f"{chapter}: the exercises are its last cell"
    return cells[0].source


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_each_chapter_ends_with_two_exercises_and_hidden_solutions(chapter):
    text = _exercises(chapter)
    exercises = re.findall(r"^### Exercise \d+: ", text, flags=re.M)
    solutions = re.findall(r"^```\{admonition\} Solution\n:class: dropdown\n", text, flags=re.M)
    assert len(exercises) >= 2 and len(solutions) == len(exercises), chapter
    typed = set(re.findall(r"\d+(?:\.\d+)?%", text)) - METHOD_LEVELS
    assert not typed, f"{chapter}: a result typed into an exercise: {typed}"
    for line, _ in command_lines(text):
        check_command(line)


def test_the_teaching_page_runs_real_commands_and_plans_every_chapter():
    text = (BOOK / "teaching.md").read_text()
    assert command_lines(text)
    for line, _ in command_lines(text):
        check_command(line)
    for chapter in CHAPTERS:
        assert f"{{doc}}`{chapter}`" in text, chapter


def test_the_built_chapters_hide_their_solutions(built_book):
    for chapter in CHAPTERS:
        page = (built_book / "html" / "book" / f"{chapter}.html").read_text()
        section = page[page.index('id="exercises"') :]
        assert section.count('class="admonition dropdown"') + section.count('class="dropdown admonition"') >= 2
        assert "{glue" not in section and "{numref" not in section, chapter  # every role resolved
    assert (built_book / "html" / "book" / "teaching.html").is_file()
