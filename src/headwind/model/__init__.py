"""The model layer: pure values and rules, the vocabulary the rest of Headwind speaks.

Image references and how to rewrite them, tag and chart versions and how they compare, update
policies and which candidate they choose, the plans the dispatcher makes -- as frozen values and
plain functions. Everything here is deterministic and synchronous: no I/O, no asyncio, no clock
reads (the current time is passed in), no logging. A test of the model needs no event loop and
no network, and a property-based test can hammer it.

May import: the standard library and small pure libraries (``packaging``).
Must not import: anything else of ``headwind`` -- this is the bottom layer -- nor any client library.
Checked by ``lint-imports`` (contracts ``layers`` and ``model-is-pure`` in ``pyproject.toml``).
"""
