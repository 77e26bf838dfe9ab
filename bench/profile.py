"""Profile the stack under the benchmark's load with py-spy (in the test extra of pyproject).

    python -m bench.profile submit --rate 10 --seconds 30     # open-loop reports, API + worker
    python -m bench.profile lifecycle --concurrency 8 --seconds 30

Samples the API and the ticket worker while the load runs (py-spy record, raw collapsed
stacks, kept in --out) and prints, per process, the functions of this repository and the
libraries where the samples fall (inclusive share of all samples).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import arrivals, lifecycle
from bench.client import Api
from bench.stack import ROOT, Stack
from bench.stats import say

BIN = Path(sys.executable).parent


def top(collapsed: Path, n: int = 25) -> list[str]:
    """Inclusive sample share per function (file:function), the biggest first."""
    total = 0
    counts: collections.Counter[str] = collections.Counter()
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        seen = set()
        for frame in stack.split(";"):
            name = frame.split(" (")[0]
            where = frame.split(" (")[1].split(":")[0] if " (" in frame else ""
            key = f"{name} ({where.replace(str(ROOT) + '/', '').split('site-packages/')[-1]})"
            if key not in seen:
                seen.add(key)
                counts[key] += int(count)
    return [f"{100 * c / total:5.1f}%  {k}" for k, c in counts.most_common(n)] if total else []


async def load(kind: str, stack: Stack, args: argparse.Namespace) -> None:
    from temporal_client import connect

    api = Api(stack.api_url)
    client = await connect(stack.settings())
    await api.login("wang", "zhao", "chen")
    try:
        first = await lifecycle.http_lifecycle(api)  # warm
        if kind == "submit":
            plan = (await lifecycle.shape_of(client, first))["plan"]
            rows = await arrivals.measure(
                api=api,
                client=client,
                readmodel_db=stack.readmodel_db,
                rates=[args.rate],
                seconds=args.seconds,
                plan=plan,
            )
            say(str(rows))
        else:
            result = await lifecycle.closed_loop(
                lambda _i: lifecycle.http_lifecycle(api),
                concurrency=args.concurrency,
                seconds=args.seconds,
            )
            say(str(result))
    finally:
        await api.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=["submit", "lifecycle"])
    parser.add_argument("--rate", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--out", type=Path, default=Path(tempfile.mkdtemp(prefix="gf-profile-")))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    stack = Stack(args.out / "data")
    spies: dict[str, subprocess.Popen] = {}
    try:
        stack.start()
        for name in ("api", "worker"):
            spies[name] = subprocess.Popen(
                [
                    str(BIN / "py-spy"),
                    "record",
                    "--pid",
                    str(stack.children[name].proc.pid),
                    "--format",
                    "raw",
                    "--rate",
                    "50",
                    "--nonblocking",
                    "--output",
                    str(args.out / f"{name}.txt"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        asyncio.run(load(args.kind, stack, args))
    finally:
        for spy in spies.values():
            spy.send_signal(2)
            spy.wait(30)
        stack.stop()
    for name in spies:
        say(f"\n== {name}: {args.out / f'{name}.txt'}")
        for line in top(args.out / f"{name}.txt"):
            say("  " + line)


if __name__ == "__main__":
    main()
