"""What the HTTP senders share: one POST whose failures read the same everywhere, a channel's
credential kept out of its url, and clipping a text to a receiver's limit."""

import json
from typing import Any

import httpx

from activities.channels.base import DeliveryFailed

ELLIPSIS = "…"
JSON = {"Content-Type": "application/json; charset=utf-8"}


def refused(status: int) -> bool:
    """4xx other than 408/429 will not change by retrying; 5xx, 408 and 429 may."""
    return 400 <= status < 500 and status not in (408, 429)


def json_body(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def endpoint(url: str, credentials: dict[str, str]) -> httpx.URL:
    """`url` with the channel's credentials added as query parameters; the stored url must not
    carry them already (the credential lives encrypted in the secret, never in the url column)."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise DeliveryFailed("the channel's url is not a valid URL", permanent=True) from None
    for name in credentials:
        if name in parsed.params:
            raise DeliveryFailed(
                f"the channel's url carries {name}=: it belongs in the channel's secret",
                permanent=True,
            )
    return parsed.copy_merge_params(credentials)


async def post(
    http: httpx.AsyncClient, url: httpx.URL | str, body: bytes, headers: dict[str, str]
) -> httpx.Response:
    """The receiver's 2xx answer; DeliveryFailed otherwise. The url never goes into the reason:
    it may carry a robot's key."""
    try:
        response = await http.post(url, content=body, headers=headers)
    except (httpx.UnsupportedProtocol, httpx.InvalidURL):
        raise DeliveryFailed("the channel's url is not an http(s) URL", permanent=True) from None
    except httpx.HTTPError as err:
        raise DeliveryFailed(f"{type(err).__name__}: the receiver could not be reached") from None
    if not 200 <= response.status_code < 300:
        status = response.status_code
        raise DeliveryFailed(f"the receiver answered {status}", permanent=refused(status))
    return response


def answer_of(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise DeliveryFailed("the receiver's answer is not a JSON object")
    return answer


def clip_bytes(text: str, limit: int) -> str:
    """At most `limit` bytes of UTF-8, cut on a character's boundary, an ellipsis when cut."""
    data = text.encode()
    if len(data) <= limit:
        return text
    # A prefix of valid UTF-8 is valid but for a character cut at its end, which ignore drops.
    return data[: limit - len(ELLIPSIS.encode())].decode(errors="ignore") + ELLIPSIS


def clip_chars(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def check_errcode(response: httpx.Response, robot: str, known: dict[int, tuple[str, bool]]) -> None:
    """A robot's `{"errcode": 0}` or DeliveryFailed: permanent for the codes `known` marks so
    (meaning, permanent); an unknown code may pass, so it is tried again."""
    code = answer_of(response).get("errcode")
    if isinstance(code, bool) or not isinstance(code, int):
        raise DeliveryFailed(f"the {robot} answer has no errcode")
    if code != 0:
        meaning, permanent = known.get(code, ("", False))
        reason = f"{robot} answered errcode {code}" + (f" ({meaning})" if meaning else "")
        raise DeliveryFailed(reason, permanent=permanent)
