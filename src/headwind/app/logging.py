"""Logging: structlog for our code, and the standard library's loggers through the same renderer.

An operator's logs are read by machines first (Loki, Elasticsearch, ``kubectl logs | jq``), so the
default in a pod is one JSON object per line with ``timestamp`` (ISO 8601, UTC), ``level``,
``logger``, ``event`` and the fields bound to the logger. On a terminal (or with
``HEADWIND_LOG_FORMAT=console``) the same events are rendered for people instead.

aiohttp, kubernetes_asyncio and the sandbox emulator log through the standard library's
``logging``; a single root handler with structlog's ``ProcessorFormatter`` renders their records
exactly like ours, so one process never mixes formats on one stream. Our own structlog loggers
end in that same handler, which keeps the level a property of the stdlib logger tree
(``HEADWIND_LOG_LEVEL``) and lets pytest's ``caplog`` see everything.

Two libraries are kept quieter than the chosen level, on purpose:

* ``kubernetes_asyncio`` never below INFO: at DEBUG its REST client logs every response body,
  which means whole LISTs and the contents of Secrets (Helm stores releases in Secrets).
* ``aiohttp.access`` never below WARNING unless the level is DEBUG: probes and Prometheus scrapes
  would otherwise write a line every few seconds for nothing.

**Convention: every line about an object carries ``kind``, ``namespace`` and ``name``.** Bind them
from the object's key rather than formatting them into the message, so logs can be filtered by
object::

    log = structlog.get_logger(__name__).bind(**key.log_fields())   # model.workloads.ObjectKey
    log.info("update applied", container="app", image="nginx:1.27")

The message (``event``) is a short constant sentence; everything variable goes into fields.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

LEVELS: dict[str, int] = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}

# The order keys take in a JSON line: these first, then the bound fields.
_LEADING_KEYS = ("timestamp", "level", "logger", "event")


class _HeadwindHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The root handler configure_logging installs; marked by its class so a second call replaces it."""


def configure_logging(level: str, fmt: str, stream: TextIO = sys.stderr) -> None:
    """Send every log record, ours and the libraries', to ``stream`` as JSON lines or for a console.

    ``level`` is one of :data:`LEVELS`; ``fmt`` is ``json``, ``console`` or ``auto`` (console when
    ``stream`` is a terminal). Calling it again reconfigures: it never adds a second handler.
    """
    try:
        threshold = LEVELS[level]
    except KeyError:
        raise ValueError(f"unknown log level {level!r}; expected one of {', '.join(LEVELS)}") from None
    if fmt not in ("json", "console", "auto"):
        raise ValueError(f"unknown log format {fmt!r}; expected json, console or auto")
    console = fmt == "console" or (fmt == "auto" and _is_terminal(stream))

    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    ]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.stdlib.PositionalArgumentsFormatter(),
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Loggers are module globals created at import, before this runs; caching would freeze
        # whichever configuration was current at their first use.
        cache_logger_on_first_use=False,
    )

    renderer: list[Processor]
    if console:
        renderer = [structlog.dev.ConsoleRenderer(colors=_is_terminal(stream))]
    else:
        renderer = [
            structlog.processors.format_exc_info,
            _leading_keys_first,
            structlog.processors.JSONRenderer(),
        ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
    )
    handler = _HeadwindHandler(stream)
    handler.setFormatter(formatter)

    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _HeadwindHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(threshold)
    # Libraries kept quieter than the chosen level (see the module docstring).
    logging.getLogger("kubernetes_asyncio").setLevel(max(threshold, logging.INFO))
    access = threshold if threshold == logging.DEBUG else max(threshold, logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(access)
    # DeprecationWarnings and the like become log records instead of raw text in a JSON stream.
    logging.captureWarnings(True)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def _leading_keys_first(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    ordered = {key: event_dict.pop(key) for key in _LEADING_KEYS if key in event_dict}
    ordered.update(event_dict)
    return ordered
