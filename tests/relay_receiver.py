"""A webhook receiver on localhost, as a city's system would run one: it verifies the signature,
de-duplicates by event id, and can be taken down (503) and brought back."""

import hashlib
import hmac
import json
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    def __init__(self, url: str) -> None:
        self.url = url
        self.down = False
        self.refused = 0
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.lock = threading.Lock()

    def event_ids(self) -> list[str]:
        """Each event once, in the order first received (what a de-duplicating receiver keeps)."""
        seen: list[str] = []
        for headers, _ in self.received:
            if headers["x-gridflow-event-id"] not in seen:
                seen.append(headers["x-gridflow-event-id"])
        return seen

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]

    def check_signatures(self, secret: str) -> None:
        for headers, body in self.received:
            signed = headers["x-gridflow-timestamp"].encode() + b"." + body
            expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(headers["x-gridflow-signature"], expected)


@asynccontextmanager
async def receiving() -> AsyncIterator[Receiver]:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with receiver.lock:
                if receiver.down:
                    receiver.refused += 1
                    self.send_response(503)
                else:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    receiver.received.append((headers, body))
                    self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
