"""Dynamic batching: concurrent HTTP requests are gathered (up to ``max_batch`` or ``max_wait_s``)
and answered by one ``Generator.generate`` call on a worker thread, so a local model decodes
them as one left-padded batch instead of one by one."""

from __future__ import annotations

import asyncio
import contextlib

from xlam.generators import ChatRequest, ChatResponse, Generator


class BatchingQueue:
    """``await queue.submit(request)`` -> response. Start with :meth:`start`, stop with :meth:`stop`."""

    def __init__(self, generator: Generator, *, max_batch: int = 8, max_wait_s: float = 0.01) -> None:
        self.generator = generator
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self._queue: asyncio.Queue[tuple[ChatRequest, asyncio.Future[ChatResponse]]] | None = None
        self._worker: asyncio.Task[None] | None = None
        #: Sizes of the batches run so far (for metrics and tests).
        self.batch_sizes: list[int] = []

    def start(self) -> None:
        self._queue = asyncio.Queue()
        self._worker = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    async def submit(self, request: ChatRequest) -> ChatResponse:
        if self._queue is None:
            raise RuntimeError("BatchingQueue.start() was not called")
        future: asyncio.Future[ChatResponse] = asyncio.get_running_loop().create_future()
        await self._queue.put((request, future))
        return await future

    async def _run(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while True:
            items = [await self._queue.get()]
            deadline = loop.time() + self.max_wait_s
            while len(items) < self.max_batch:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    items.append(await asyncio.wait_for(self._queue.get(), remaining))
                except TimeoutError:
                    break
            live = [(r, f) for r, f in items if not f.cancelled()]
            if not live:
                continue
            self.batch_sizes.append(len(live))
            try:
                responses = await asyncio.to_thread(self.generator.generate, [r for r, _ in live])
            except Exception as exc:
                for _, future in live:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), response in zip(live, responses, strict=True):
                if not future.done():
                    future.set_result(response)
