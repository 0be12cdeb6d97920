"""A client-side rate limiter for asyncio: request starts are spaced at least ``1/rate`` apart."""

from __future__ import annotations

import asyncio
import time


class AsyncRateLimiter:
    """Evenly spaced permits (a token bucket of size 1): ``await limiter.acquire()`` before each
    request. Safe to share between coroutines of one event loop."""

    def __init__(self, requests_per_second: float) -> None:
        if requests_per_second <= 0:
            raise ValueError("requests_per_second must be > 0")
        self.interval = 1.0 / requests_per_second
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self.interval
        if wait > 0:
            await asyncio.sleep(wait)
