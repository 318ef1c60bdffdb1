"""``headwind sandbox``: run the emulator in the foreground until Ctrl-C or SIGTERM.

The output is a contract scripts rely on: once the emulator serves, one line ``Sandbox ready``,
then ``KUBECONFIG=<absolute path>``, then the addresses it serves. Scripts wait for the first line
and read the second; people copy the second into their shell. A port that cannot be bound is a
one-line error and exit status 1, not a traceback. Signals stop it cleanly (open watches closed,
controllers stopped) with exit status 0.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from pathlib import Path

from .emulator import Emulator, EmulatorConfig
from .options import SandboxOptions
from .seed import DEMO_NAMESPACE, demo_objects

# Something to run beside the emulator (the operator), started with the kubeconfig path once the
# emulator serves; it yields the lines to announce. The sandbox never imports the operator: the
# CLI, which may import both, hands it over.
Companion = Callable[[Path], AbstractAsyncContextManager[list[str]]]


def run(options: SandboxOptions, companion: Companion | None = None) -> int:
    """Serve until a stop signal; the process exit status."""
    return asyncio.run(serve(options, companion=companion))


async def serve(
    options: SandboxOptions, stop: asyncio.Event | None = None, companion: Companion | None = None
) -> int:
    emulator = Emulator(
        EmulatorConfig(
            host=options.host,
            port=options.port,
            tls=options.tls,
            time_scale=options.time_scale,
            unhealthy_images=options.unhealthy_images,
            watch_timeout=options.watch_timeout,
        )
    )
    try:
        await emulator.start()
    except OSError as error:
        await emulator.stop()
        print(
            f"headwind sandbox: cannot listen on {options.host}:{options.port}: {error.strerror}",
            file=sys.stderr,
        )
        return 1
    stop = stop or _stop_on_signals()
    try:
        if options.seed:
            for obj in demo_objects():
                emulator.apply(obj)
        kubeconfig = emulator.write_kubeconfig(Path(options.kubeconfig))
        started: AbstractAsyncContextManager[list[str]] = (
            companion(kubeconfig) if companion is not None else nullcontext([])
        )
        async with started as companion_lines:
            _announce(emulator, kubeconfig, options, companion_lines)
            await stop.wait()
    finally:
        await emulator.stop()
    print("Sandbox stopped", flush=True)
    return 0


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


def _announce(emulator: Emulator, kubeconfig: Path, options: SandboxOptions, companion: list[str]) -> None:
    lines = [
        "Sandbox ready",
        f"KUBECONFIG={kubeconfig}",
        f"Kubernetes API:  {emulator.url}",
        f"Sandbox controls: {emulator.url}/_sandbox/ (faults, drop-watches, compact, health, requests)",
    ]
    if options.seed:
        lines.append(
            f"Sample workloads: kubectl --kubeconfig {kubeconfig} get deploy,sts,ds,cj -n {DEMO_NAMESPACE}"
        )
    if options.tls:
        lines.append("TLS: on; the kubeconfig carries the sandbox CA and an admin token")
    lines.extend(companion or ["Operator: not running (--no-operator); serving the emulator only."])
    lines.append("Stop with Ctrl-C.")
    print("\n".join(lines), flush=True)
