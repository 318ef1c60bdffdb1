"""The app layer: one operator process, wired together and kept alive.

Configuration is read once at start, logging set up, and every long-running piece (informers,
dispatcher workers, leader election, the four HTTP servers) started as a named task under a
supervisor that restarts what crashes, with backoff, and turns liveness red when something keeps
crashing. Signals start a graceful shutdown: stop taking work, drain, close the servers.

May import: every layer below (``servers``, ``services``, ``adapters``, ``model``).
Must not import: ``headwind.cli`` or ``headwind.sandbox``. Checked by ``lint-imports``.
"""
