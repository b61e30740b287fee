"""Show the code that runs: a lesson displays a function of the package on the page.

``show_source(fn)`` prints the source of ``fn`` exactly as Python imports it, with syntax
highlighting in a notebook, so the lines that produce a claim's numbers are visible without
opening a module (the alternative to defining the function in the notebook, d2l-style).
"""
from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable


class SourceCode:
    """Source text that renders highlighted in Jupyter and as plain text elsewhere."""

    def __init__(self, text: str, name: str) -> None:
        self.text = text
        self.name = name

    def __repr__(self) -> str:
        return self.text

    def _repr_markdown_(self) -> str:
        return f"`{self.name}`\n\n```python\n{self.text}```"


def show_source(*functions: Callable) -> SourceCode:
    """The source of one or more functions or classes, as the interpreter runs it."""
    if not functions:
        raise ValueError("show_source needs at least one function or class")
    parts, names = [], []
    for function in functions:
        target = inspect.unwrap(function)
        parts.append(textwrap.dedent(inspect.getsource(target)))
        names.append(f"{target.__module__}.{target.__qualname__}")
    return SourceCode("\n\n".join(parts), ", ".join(names))
