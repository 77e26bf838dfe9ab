"""Photo decoding, bounded per process (docs/input.md "Photo memory").

A photo at the 40 MP cap needs up to ~360 MB while it is decoded and scaled (HEIC; PNG ~210 MB,
JPEG ~60 MB), so this process decodes at most DECODERS photos at once, on threads of its own.
At most WAITING more uploads wait for a decoder (their file spooled to disk, at most 1 MB of it
in memory); an upload past that is answered 503 with Retry-After before its body is read. An
upload holds its place until its decode has finished, even when the client has gone, so a
closed connection cannot let more decodes in than the bound.
"""

import asyncio
import ctypes
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from api.errors import ApiError

DECODERS = 2  # photos decoded at once in one process (one per core on the 2-core target)
WAITING = 16  # uploads waiting for a decoder, ~1 MB each
RETRY_AFTER_S = 2  # a decoder frees up within ~1.5 s at the cap
T = TypeVar("T")


def _return_freed_buffers() -> None:
    """glibc keeps a freed block in its arenas once its mmap threshold has risen (it rises to the
    size of any mapped block freed, up to 32 MB): a decoded photo's 16 MB blocks then stay in
    the process. Eight 40 MP photos left 1.5 GB behind. With a fixed threshold every block of
    1 MB or more is mapped on its own and unmapped when freed."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass  # not glibc: its allocator is not tuned here


class _Place:
    """One upload's place in the pool: freed when the request has left and its decode (if it
    started one) has finished."""

    def __init__(self, pool: "DecodePool") -> None:
        self._pool, self._holders = pool, 1

    def _release(self, _: object = None) -> None:
        with self._pool.lock:
            self._holders -= 1
            if self._holders == 0:
                self._pool.taken -= 1

    async def decode(self, work: Callable[..., T], *args: object) -> T:
        with self._pool.lock:
            self._holders += 1
        future = self._pool.executor.submit(work, *args)
        future.add_done_callback(self._release)
        return await asyncio.wrap_future(future)  # cancelled while queued: it never runs


class DecodePool:
    def __init__(self, decoders: int = DECODERS, waiting: int = WAITING) -> None:
        self.capacity = decoders + waiting
        self.executor = ThreadPoolExecutor(decoders, thread_name_prefix="photo-decode")
        self.lock = threading.Lock()
        self.taken = 0

    @contextmanager
    def place(self) -> Iterator[_Place]:
        """A place for one upload, taken before its body is read; 503 when none is free."""
        with self.lock:
            if self.taken >= self.capacity:
                raise ApiError(
                    503,
                    f"too many photos are being processed; retry in {RETRY_AFTER_S} s",
                    retry_after=RETRY_AFTER_S,
                    headers={"Retry-After": str(RETRY_AFTER_S)},
                )
            self.taken += 1
        place = _Place(self)
        try:
            yield place
        finally:
            place._release()


_return_freed_buffers()
photo_decoding = DecodePool()
