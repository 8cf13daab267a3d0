"""One writer at a time per interaction reply, inside this bot process.

The command handler (its first answer), the progress edits and the delivery of a result all
edit the same Discord message. Without an order, a progress edit sent just before a result
could land just after it and hide it. Each takes the request's lock, and once a result or
notice has replaced the reply (`mark_answered`), progress edits stop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

# A reply token lives 15 minutes; nothing edits a reply after that.
_FORGET_AFTER_S = 20 * 60


class ReplyGuard:
    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._answered: dict[str, float] = {}

    @asynccontextmanager
    async def hold(self, request_id: str) -> AsyncIterator[None]:
        """The request's lock (created on demand, dropped when nobody holds or waits for it)."""
        lock, users = self._locks.get(request_id, (asyncio.Lock(), 0))
        self._locks[request_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[request_id]
            if users <= 1:
                del self._locks[request_id]
            else:
                self._locks[request_id] = (lock, users - 1)

    def mark_answered(self, request_id: str) -> None:
        now = time.monotonic()
        self._answered[request_id] = now
        self._answered = {k: t for k, t in self._answered.items() if now - t < _FORGET_AFTER_S}

    def answered(self, request_id: str) -> bool:
        return request_id in self._answered

    def busy(self) -> int:
        """Requests whose lock is held or awaited (for tests and shutdown)."""
        return len(self._locks)
