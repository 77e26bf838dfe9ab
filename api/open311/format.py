"""Open311 GeoReport v2 wire formats: XML (the spec's required format) and JSON, by the path's
extension; errors as the spec's list of {code, description}. No FastAPI routing here."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any
from xml.etree import ElementTree as ET

from fastapi.responses import JSONResponse, Response

from readmodel.timestamps import as_utc

PREFIX = "/open311/v2"


class Fmt(StrEnum):
    JSON = "json"
    XML = "xml"


# The element each list's items get in XML (the spec's names; JSON is just an array).
ITEM_TAG = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
}


def is_open311(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def fmt_of_path(path: str) -> Fmt:
    """The format a request asked for by its extension; XML (the spec's default) otherwise."""
    return Fmt.JSON if path.endswith(".json") else Fmt.XML


def iso(value: datetime | None) -> str | None:
    """W3C date-time with its zone, as the spec requires (naive read-model times are UTC)."""
    if value is None:
        return None
    return as_utc(value).isoformat(timespec="seconds").replace("+00:00", "Z")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _append(parent: ET.Element, tag: str, value: Any) -> None:
    element = ET.SubElement(parent, tag)
    _fill(element, tag, value)


def _fill(element: ET.Element, tag: str, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, Sequence) and not isinstance(value, str):
        for item in value:
            _append(element, ITEM_TAG.get(tag, "item"), item)
    else:
        element.text = _text(value)


def to_xml(root: str, value: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, root, value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8")


def render(
    fmt: Fmt, root: str, value: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """`value` as JSON, or as XML under `root` (lists: one element per item, ITEM_TAG)."""
    if fmt is Fmt.JSON:
        return JSONResponse(value, status_code=status, headers=headers)
    return Response(
        to_xml(root, value),
        status_code=status,
        headers=headers,
        media_type="text/xml; charset=utf-8",
    )


def error_response(
    path: str, status: int, description: str, headers: Mapping[str, str] | None = None
) -> Response:
    """The spec's error body: [{code, description}]; the code is the HTTP status."""
    return render(
        fmt_of_path(path),
        "errors",
        [{"code": status, "description": description}],
        status=status,
        headers=headers,
    )


def open311_status(status: int) -> int:
    """The spec knows 400 (bad request, anything else), 403 (api_key) and 404 (unknown
    jurisdiction, service or request); rate limits and outages keep their own codes."""
    if status in (401, 403):
        return 403
    if status in (404, 405, 413, 415, 429, 503):
        return status
    return 400


class PublicReads:
    """`Access-Control-Allow-Origin: *` on the facade's GET answers (errors included): anyone's
    status page may read them from the browser. They carry no credentials and nothing private;
    the POST, whose api_key belongs in a machine client and not in a page, gets no such header."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not is_open311(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"access-control-allow-origin", b"*"),
                ]
            await send(message)

        await self.app(scope, receive, send_with_cors)
