"""Intake rate limits: a token bucket per user or API key, in memory per API process."""

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from temporalio.service import RPCError

from api.client_address import client_address
from api.deps import CurrentUser
from api.errors import ApiError
from api.intake import ReportKeyDep
from readmodel.access.tables import User

MAX_BUCKETS = 10_000  # principals tracked per scope before full buckets are forgotten


@dataclass
class Bucket:
    tokens: float
    stamp: float


class TokenBucket:
    """`burst` requests at once, refilled at `per_minute`; one bucket per principal."""

    def __init__(
        self, *, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = max(1, burst)
        self.clock = clock
        self.buckets: dict[str, Bucket] = {}

    def _refill(self, key: str) -> Bucket:
        now = self.clock()
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= MAX_BUCKETS:
                self._forget_full(now)
            bucket = self.buckets[key] = Bucket(tokens=float(self.burst), stamp=now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.stamp) * self.rate)
        bucket.stamp = now
        return bucket

    def _forget_full(self, now: float) -> None:
        for key, bucket in list(self.buckets.items()):
            if bucket.tokens + (now - bucket.stamp) * self.rate >= self.burst:
                del self.buckets[key]

    def take(self, key: str) -> float:
        """0 when a token was taken; else the seconds until one is there."""
        bucket = self._refill(key)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        if self.rate <= 0:
            return math.inf
        return (1.0 - bucket.tokens) / self.rate

    def wait(self, key: str) -> float:
        """0 when a token is there (none is taken); else the seconds until one is."""
        bucket = self._refill(key)
        if bucket.tokens >= 1.0:
            return 0.0
        return math.inf if self.rate <= 0 else (1.0 - bucket.tokens) / self.rate

    def give_back(self, key: str) -> None:
        bucket = self._refill(key)
        bucket.tokens = min(float(self.burst), bucket.tokens + 1.0)


def key_id_of(secret: str) -> str:
    """An API key's bucket name: the key hashed, never the secret itself kept in memory."""
    return hashlib.sha256(secret.encode()).hexdigest()[:24]


def principal_of(request: Request, user: User) -> str:
    """An API key is limited on its own, apart from its owner's other keys and logins."""
    if getattr(request.state, "auth", None) == "api_key":
        key_id = getattr(request.state, "api_key_id", None)
        if key_id is None:
            key_id = key_id_of(request.headers.get("x-api-key", ""))
        return f"api_key:{key_id}"
    return f"user:{user.user_id}"


def _bucket(request: Request, scope: str) -> TokenBucket:
    state = request.app.state
    limits: dict[str, TokenBucket] | None = getattr(state, "intake_limits", None)
    if limits is None:
        limits = state.intake_limits = {}
    if scope not in limits:
        config = state.settings
        limits[scope] = TokenBucket(per_minute=config.intake_per_minute, burst=config.intake_burst)
    return limits[scope]


@dataclass
class IntakePass:
    """The token a request took; a replay of an accepted submission gives it back."""

    bucket: TokenBucket | None
    key: str

    def give_back(self) -> None:
        if self.bucket is not None:
            self.bucket.give_back(self.key)
            self.bucket = None


def too_many(wait: float, what: str = "submissions") -> ApiError:
    seconds = 60 if math.isinf(wait) else max(1, math.ceil(wait))
    return ApiError(
        429,
        f"too many {what}; retry in {seconds} s",
        code="rate_limited",
        headers={"Retry-After": str(seconds)},
        retry_after=seconds,
    )


async def _is_replay(request: Request, ticket_id: str | None) -> bool:
    """Does this Idempotency-Key name a report already accepted (its workflow exists)?"""
    if ticket_id is None:  # a sensor's report, or no key
        return False
    try:
        await request.app.state.temporal.get_workflow_handle(ticket_id).describe()
    except RPCError:  # not found; or Temporal cannot tell now: the phone retries after 429
        return False
    return True


async def incident_intake(request: Request, user: CurrentUser, report: ReportKeyDep) -> IntakePass:
    """A token per report; a retried report already accepted passes even when out of tokens."""
    bucket, key = _bucket(request, "incidents"), principal_of(request, user)
    wait = bucket.take(key)
    if wait == 0:
        return IntakePass(bucket=bucket, key=key)
    if await _is_replay(request, report.ticket_id):
        return IntakePass(bucket=None, key=key)
    raise too_many(wait)


async def photo_intake(request: Request, user: CurrentUser) -> IntakePass:
    """A token per photo upload, in a bucket apart from the reports'."""
    bucket, key = _bucket(request, "photos"), principal_of(request, user)
    wait = bucket.take(key)
    if wait:
        raise too_many(wait)
    return IntakePass(bucket=bucket, key=key)


IncidentIntake = Annotated[IntakePass, Depends(incident_intake)]
PhotoIntake = Annotated[IntakePass, Depends(photo_intake)]


@dataclass
class LoginGate:
    """Failed logins are limited per user name and per client address, so guessing a password
    is slow while a user who typos once is never held up; a success costs nothing."""

    buckets: list[tuple[TokenBucket, str]]

    def check(self) -> None:
        wait = max(bucket.wait(key) for bucket, key in self.buckets)
        if wait:
            raise too_many(wait, "failed logins")

    def failed(self) -> None:
        for bucket, key in self.buckets:
            bucket.take(key)


def login_gate(request: Request, username: str) -> LoginGate:
    state = request.app.state
    gates: dict[str, TokenBucket] | None = getattr(state, "login_limits", None)
    if gates is None:
        config = state.settings
        gates = state.login_limits = {
            "user": TokenBucket(
                per_minute=config.login_failures_per_minute, burst=config.login_failure_burst
            ),
            "address": TokenBucket(
                per_minute=config.login_failures_per_address_per_minute,
                burst=config.login_failure_address_burst,
            ),
        }
    address = client_address(request)
    name = hashlib.sha256(username.encode()).hexdigest()[:24]  # no typed names kept in memory
    return LoginGate(buckets=[(gates["user"], name), (gates["address"], address)])
