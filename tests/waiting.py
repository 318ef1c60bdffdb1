"""Waiting on conditions with a deadline: tests never sleep for a fixed time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]], *, timeout: float = 5.0, what: str = "condition"
) -> None:
    """Return as soon as ``condition`` holds; fail the test with ``what`` if it does not in time."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.01)
