"""A fault-injecting TCP proxy (asyncio) to put in front of PostgreSQL.

    python -m tests.faults.proxy --listen-port 6001 --target-port 5432

Passes bytes both ways. SIGUSR1 cuts: every open connection is closed and the listening socket
is closed too, so new connections are refused (ECONNREFUSED), as when the database host is gone.
SIGUSR2 restores: it listens again on the same port. Each change is logged as one line
("proxy listening", "proxy cut", "proxy restored") for the harness to wait on.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Callable

CHUNK = 64 * 1024


class FaultProxy:
    """Forwards 127.0.0.1:listen_port to target_host:target_port until cut()."""

    def __init__(
        self,
        *,
        listen_port: int,
        target_port: int,
        target_host: str = "127.0.0.1",
        listen_host: str = "127.0.0.1",
    ) -> None:
        self.listen_host, self.listen_port = listen_host, listen_port
        self.target_host, self.target_port = target_host, target_port
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.connections = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, self.listen_host, self.listen_port, reuse_address=True
        )

    async def cut(self) -> None:
        """Close every connection and stop listening: clients see resets, then refusals."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()  # a reset, not a polite close: the host is gone
        self._writers.clear()

    async def restore(self) -> None:
        if self._server is None:
            await self.start()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            upstream_r, upstream_w = await asyncio.wait_for(
                asyncio.open_connection(self.target_host, self.target_port), 10
            )
        except (OSError, TimeoutError):
            client_w.transport.abort()
            return
        self.connections += 1
        self._writers |= {client_w, upstream_w}
        try:
            await asyncio.gather(_pipe(client_r, upstream_w), _pipe(upstream_r, client_w))
        except asyncio.CancelledError:
            pass  # the proxy is stopping
        finally:
            for w in (client_w, upstream_w):
                self._writers.discard(w)
                w.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.transport.abort()


def say(line: str) -> None:
    print(line, flush=True)


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen-port", type=int, required=True)
    parser.add_argument("--target-port", type=int, required=True)
    parser.add_argument("--target-host", default="127.0.0.1")
    args = parser.parse_args(argv)
    proxy = FaultProxy(
        listen_port=args.listen_port, target_port=args.target_port, target_host=args.target_host
    )
    await proxy.start()
    say(f"proxy listening on {args.listen_port} -> {args.target_host}:{args.target_port}")
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def done(what: str) -> Callable[[asyncio.Task[None]], None]:
        def report(task: asyncio.Task[None]) -> None:
            failed = task.exception()
            say(f"proxy {what} failed: {failed!r}" if failed else f"proxy {what}")

        return report

    def cut() -> None:
        loop.create_task(proxy.cut()).add_done_callback(done("cut"))

    def restore() -> None:
        loop.create_task(proxy.restore()).add_done_callback(done("restored"))

    loop.add_signal_handler(signal.SIGUSR1, cut)
    loop.add_signal_handler(signal.SIGUSR2, restore)
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await proxy.cut()
    say("proxy stopped")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
