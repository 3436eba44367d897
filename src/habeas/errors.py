"""The project's error hierarchy root, so entry points can tell our refusals from bugs."""


class HabeasError(Exception):
    """A request habeas refuses, with a one-line reason that says how to fix it."""
