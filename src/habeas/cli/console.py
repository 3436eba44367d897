"""Where the CLI writes: Rich consoles for stdout and stderr, tables of stored values, and a refusal as one line."""

from __future__ import annotations

from typing import Any

from rich.console import Console, RenderableType
from rich.errors import MarkupError
from rich.style import StyleType
from rich.table import Table
from rich.text import Text


class _Console(Console):
    """A string the CLI prints is Rich markup, and so is whatever data it holds: a name or a value typed as
    "[/x]" is not valid markup, and would be a traceback instead of the answer. Such a string is shown as it is."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        try:
            return super().render_str(text, **kwargs)
        except MarkupError:
            return super().render_str(text, **{**kwargs, "markup": False})


class DataTable(Table):
    """A table of what the ledger holds. A name, a label or a court typed as "[bold]x[/]" is data: every str cell
    is shown as it is, never read as Rich markup (nor emoji codes); a cell meant to be styled is given as a Text
    (``Text("total", style="bold")``). A title that quotes stored text escapes it (rich.markup.escape)."""

    def add_row(
        self, *renderables: RenderableType | None, style: StyleType | None = None, end_section: bool = False
    ) -> None:
        cells = (Text(cell) if isinstance(cell, str) else cell for cell in renderables)
        super().add_row(*cells, style=style, end_section=end_section)


# No emoji codes: what the CLI prints quotes files, names and ids, and ":x:" in them is text, not an emoji.
err = _Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
out = _Console(highlight=False, emoji=False)


def one_line(e: BaseException) -> str:
    if isinstance(e, OSError) and e.strerror:
        return f"{e.filename}: {e.strerror}" if e.filename else e.strerror
    return " ".join(str(e).split())
