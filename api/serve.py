"""How gridflow serves its API: one set of uvicorn options for every launcher.

uvicorn rewrites a request's client address from `X-Forwarded-For` whenever the peer is one of
its `--forwarded-allow-ips` (127.0.0.1 unless told otherwise), so anybody on the host could pick
the address the login limits count. gridflow reads the header itself, only from the proxies in
GRIDFLOW_TRUSTED_PROXIES (api/client_address.py), and every launcher turns uvicorn's rewriting
off: `python -m api`, scripts/up.sh, the benchmark and the tests.
"""

import argparse
from typing import TypedDict


class UvicornOptions(TypedDict):
    proxy_headers: bool
    access_log: bool


# The access log is gridflow's own JSON line per request (api/request_telemetry.py).
UVICORN_OPTIONS: UvicornOptions = {"proxy_headers": False, "access_log": False}
UVICORN_FLAGS = ["--no-proxy-headers", "--no-access-log"]


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m api", description="Serve the gridflow API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    uvicorn.run("api.main:app", host=args.host, port=args.port, **UVICORN_OPTIONS)
