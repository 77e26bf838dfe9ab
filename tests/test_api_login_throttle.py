"""Guessing passwords is slow: failed logins are limited per user name and per address."""

from collections.abc import Iterable

import httpx

from tests.api_fixtures import Gridflow, gf  # noqa: F401


async def fail_until_throttled(gf: Gridflow, names: Iterable[str], burst: int) -> httpx.Response:
    """Fails logins until one is refused with 429; the bucket refills meanwhile (slowly), so
    at least `burst` failures pass first and the hold comes before twice as many."""
    for n, name in enumerate(names):
        response = await gf.login(name, "guess-1234567")
        if response.status_code == 429:
            assert burst <= n < 2 * burst, n
            return response
        assert response.status_code == 401, response.text
    raise AssertionError("never throttled")


def assert_throttled(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "rate_limited"
    assert "failed logins" in response.json()["error"]["message"]
    assert int(response.headers["Retry-After"]) >= 1


async def test_a_user_name_is_held_after_ten_failures_even_with_the_right_password(
    gf: Gridflow,
) -> None:
    burst = gf.config.login_failure_burst
    assert_throttled(await fail_until_throttled(gf, ["wang"] * 2 * burst, burst))
    assert_throttled(await gf.login("wang", "demo-worker-wang"))  # not even tried
    # Somebody else at the same address is not held up by wang's guesser.
    assert (await gf.login("li", "demo-worker-li")).status_code == 200


async def test_successful_logins_cost_nothing(gf: Gridflow) -> None:
    for _ in range(gf.config.login_failure_burst + 3):
        assert (await gf.login("li", "demo-worker-li")).status_code == 200


async def test_an_address_trying_many_user_names_is_held(gf: Gridflow) -> None:
    burst = gf.config.login_failure_address_burst
    assert_throttled(
        await fail_until_throttled(gf, [f"nobody-{n}" for n in range(2 * burst)], burst)
    )
