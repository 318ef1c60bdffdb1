"""The one error of a selector, shared by the label and the field grammars.

Why this module exists: the list and watch handlers catch a single exception type for both query
parameters and answer it with ``400 BadRequest``; keeping it apart lets the two parsers raise it without
importing each other.
"""

from __future__ import annotations


class SelectorError(ValueError):
    """An invalid selector; the sandbox answers it with HTTP 400 BadRequest carrying ``str(error)``."""
