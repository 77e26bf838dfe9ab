"""A city's webhook receiver for the holiday section, in its own process (so that its threads
do not take the benchmark client's interpreter while the client times submissions):
`python -m bench.receiver PORT LOG`. Every POST is answered 200 and appended to LOG as one line,
`<unix time>\\t<X-Gridflow-Event-Id>\\t<kind>\\t<ticket id>\\t<signature ok: 1/0>`; a receiver
de-duplicates by the event id, so the benchmark counts unique ids.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET_ENV = "GRIDFLOW_BENCH_WEBHOOK_SECRET"  # the channel names it (secret_env), as an admin may


def signed(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(signature, "sha256=" + mac.hexdigest())


def main(port: int, log_path: str) -> None:
    secret = os.environ.get(SECRET_ENV, "")
    lock = threading.Lock()
    log = open(log_path, "a", buffering=1)  # line-buffered: the benchmark reads as it grows

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the relay's client reuses its connections

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                event = json.loads(body)
            except ValueError:
                event = {}
            kind, ticket_id = event.get("kind", ""), event.get("ticket_id") or ""
            ok = signed(
                secret,
                self.headers.get("X-Gridflow-Timestamp", ""),
                body,
                self.headers.get("X-Gridflow-Signature", ""),
            )
            event_id = self.headers.get("X-Gridflow-Event-Id", "")
            with lock:
                log.write(f"{time.time():.3f}\t{event_id}\t{kind}\t{ticket_id}\t{int(ok)}\n")
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(f"receiver listening on {port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        log.close()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
