"""Errors a user can act on: one line, naming the file or parameter, the field and the rule."""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input, printed as ``error: <where>: <what> (<rule>)``."""

    def __init__(self, where: str, what: str, rule: str):
        self.where = str(where)
        self.what = what
        self.rule = rule
        super().__init__(self.line())

    def __reduce__(self):  # picklable across worker processes
        return (type(self), (self.where, self.what, self.rule))

    def line(self) -> str:
        text = f"error: {self.where}: {self.what} ({self.rule})"
        return " ".join(text.split())  # always one line
