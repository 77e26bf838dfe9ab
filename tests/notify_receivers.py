"""Real receivers on localhost for the notification senders: each checks a request the way its
service does (key, token, signature, shape) and answers as the service would.

An HTTP receiver is a ThreadingHTTPServer in a thread; `judge` is the service's logic. Every
request is recorded; `fail_next(n, status, answer)` makes the next n answers errors.
The mail receiver is an aiosmtpd Controller with optional login and a RCPT answer to give.
"""

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass
class Received:
    path: str
    raw_query: str
    headers: dict[str, str]  # names in lower case
    body: bytes

    @property
    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.raw_query, keep_blank_values=True).items()}

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))  # strict: a cut character fails here


Answer = tuple[int, Any]


@dataclass
class Receiver:
    judge: Callable[[Received], Answer]
    requests: list[Received] = field(default_factory=list)
    failures: list[Answer] = field(default_factory=list)
    url: str = ""

    def fail_next(self, n: int, status: int, answer: Any) -> None:
        self.failures += [(status, answer)] * n

    def answer(self, request: Received) -> Answer:
        self.requests.append(request)
        if self.failures:
            return self.failures.pop(0)
        return self.judge(request)


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        receiver = cast(Any, self.server).receiver
        status, answer = receiver.answer(Received(parts.path, parts.query, headers, body))
        data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@contextmanager
def serving(judge: Callable[[Received], Answer]) -> Iterator[Receiver]:
    receiver = Receiver(judge)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    cast(Any, server).receiver = receiver
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def _json_object(request: Received) -> dict[str, Any] | None:
    if not request.headers.get("content-type", "").startswith("application/json"):
        return None
    try:
        body = request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def wecom_robot(key: str) -> Callable[[Received], Answer]:
    """qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…, markdown messages."""

    def judge(request: Received) -> Answer:
        if request.path != "/cgi-bin/webhook/send" or request.query.get("key") != key:
            return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
        body = _json_object(request)
        if body is None or body.get("msgtype") != "markdown":
            return 200, {"errcode": 40008, "errmsg": "invalid message type"}
        content = body.get("markdown", {}).get("content")
        if not isinstance(content, str) or not content:
            return 200, {"errcode": 44004, "errmsg": "empty content"}
        if len(content.encode()) > 4096:
            return 200, {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}
        return 200, {"errcode": 0, "errmsg": "ok"}

    return judge


def dingtalk_robot(token: str, sign_secret: str | None) -> Callable[[Received], Answer]:
    """oapi.dingtalk.com/robot/send?access_token=…[&timestamp=…&sign=…], markdown messages."""

    def judge(request: Received) -> Answer:
        q = request.query
        if request.path != "/robot/send" or q.get("access_token") != token:
            return 200, {"errcode": 300001, "errmsg": "token is not exist"}
        if sign_secret is not None:
            timestamp = q.get("timestamp", "")
            if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > 3_600_000:
                return 200, {"errcode": 310000, "errmsg": "invalid timestamp"}
            mac = hmac.new(sign_secret.encode(), f"{timestamp}\n{sign_secret}".encode(), "sha256")
            if not hmac.compare_digest(q.get("sign", ""), base64.b64encode(mac.digest()).decode()):
                return 200, {"errcode": 310000, "errmsg": "sign not match"}
        body = _json_object(request)
        markdown = body.get("markdown") if body and body.get("msgtype") == "markdown" else None
        if not isinstance(markdown, dict) or not all(
            isinstance(markdown.get(k), str) and markdown[k] for k in ("title", "text")
        ):
            return 200, {"errcode": 40035, "errmsg": "缺少参数 markdown"}
        return 200, {"errcode": 0, "errmsg": "ok"}

    return judge


@dataclass
class WebhookLedger:
    """What a careful webhook receiver keeps: the events it acted on, once each."""

    secret: str
    tolerance: int = 300  # seconds a signature stays fresh
    clock_skew: int = 0  # added to the receiver's clock, to make a signature stale
    events: list[str] = field(default_factory=list)

    def judge(self, request: Received) -> Answer:
        timestamp = request.headers.get("x-gridflow-timestamp", "")
        signature = request.headers.get("x-gridflow-signature", "")
        if not timestamp.isdigit() or abs(time.time() + self.clock_skew - int(timestamp)) > (
            self.tolerance
        ):
            return 401, {"error": "stale or missing timestamp"}
        mac = hmac.new(self.secret.encode(), timestamp.encode() + b"." + request.body, "sha256")
        if not hmac.compare_digest(signature, "sha256=" + mac.hexdigest()):
            return 401, {"error": "bad signature"}
        event_id = request.headers.get("x-gridflow-event-id", "")
        if event_id != request.json().get("event_id"):
            return 400, {"error": "event id header and body differ"}
        if event_id not in self.events:
            self.events.append(event_id)
        return 200, {"ok": True}


def sms_gateway(token: str) -> Callable[[Received], Answer]:
    """The documented gateway shape (docs/channels.md)."""

    def judge(request: Received) -> Answer:
        if request.headers.get("authorization") != f"Bearer {token}":
            return 401, {"code": "Unauthorized"}
        body = _json_object(request) or {}
        params = body.get("params")
        fields = [body.get(k) for k in ("phone", "template", "out_id")]
        if not all(isinstance(v, str) and v for v in fields) or not (
            isinstance(params, dict)
            and all(isinstance(params.get(k), str) for k in ("title", "text"))
            and len(params["text"]) <= 70
        ):
            return 400, {"code": "InvalidParameter"}
        return 200, {"code": "OK", "message_id": hashlib.sha1(request.body).hexdigest()}

    return judge


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Mailbox:
    """An SMTP server's side: what it accepted, and how it answers RCPT when told to refuse."""

    rcpt_answer: str | None = None  # e.g. "550 5.1.1 <x@y>: user unknown"
    mails: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.rcpt_answer:
            return self.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = cast(bytes, envelope.original_content or envelope.content)
        mail = message_from_bytes(content, policy=policy.default)
        self.mails.append((str(envelope.mail_from), list(envelope.rcpt_tos), mail))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(login: tuple[str, str] | None = None) -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on 127.0.0.1 (no TLS); with `login`, AUTH is required and checked."""
    mailbox = Mailbox()

    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            login is not None
            and isinstance(data, LoginPassword)
            and (data.login.decode(), data.password.decode()) == login
        )
        return AuthResult(success=ok, handled=False)  # handled=True: no 535 is sent

    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        auth_required=login is not None,
        auth_require_tls=False,
        authenticator=authenticate,
    )
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()
