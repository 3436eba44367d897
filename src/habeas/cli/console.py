"""Where the CLI writes: Rich consoles for stdout and stderr, and a refusal as one line."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.errors import MarkupError
from rich.text import Text


class _Console(Console):
    """A string the CLI prints is Rich markup, and so is whatever data it holds: a name or a value typed as
    "[/x]" is not valid markup, and would be a traceback instead of the answer. Such a string is shown as it is."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        try:
            return super().render_str(text, **kwargs)
        except MarkupError:
            return super().render_str(text, **{**kwargs, "markup": False})


err = _Console(stderr=True, highlight=False, soft_wrap=True)
out = _Console(highlight=False)


def one_line(e: BaseException) -> str:
    if isinstance(e, OSError) and e.strerror:
        return f"{e.filename}: {e.strerror}" if e.filename else e.strerror
    return " ".join(str(e).split())
