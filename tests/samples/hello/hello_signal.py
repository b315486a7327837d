"""A workflow greeting every name signalled to it until told to exit."""

import asyncio

from legato import workflow


@workflow.defn
class GreetingWorkflow:
    def __init__(self) -> None:
        self._pending: asyncio.Queue[str] = asyncio.Queue()
        self._exit = False

    @workflow.run
    async def run(self) -> list[str]:
        greetings: list[str] = []
        while True:
            await workflow.wait_condition(lambda: not self._pending.empty() or self._exit)
            while not self._pending.empty():
                greetings.append(f"Hello, {self._pending.get_nowait()}")
            if self._exit:
                return greetings

    @workflow.signal
    async def submit_greeting(self, name: str) -> None:
        await self._pending.put(name)

    @workflow.signal
    def exit(self) -> None:
        self._exit = True
