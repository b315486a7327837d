"""Activities as temporalio lets them be written: methods of an instance the worker holds
(``execute_activity_method``) and callable classes (``execute_activity_class``), each run
on the instance registered with the worker, with its arguments and result typed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest

from legato import activity, workflow
from legato.testing import WorkflowEnvironment
from legato.worker import Worker

pytestmark = pytest.mark.e2e


@dataclass
class Order:
    item: str
    count: int


class Shop:
    """Activities as methods: the worker is given the bound methods of one instance."""

    def __init__(self, name: str) -> None:
        self.name = name

    @activity.defn
    async def price(self, order: Order) -> str:
        return f"{self.name}: {order.count} x {order.item}"

    @activity.defn(name="stock")
    def stock(self, item: str) -> int:
        return len(item) + len(self.name)


@activity.defn
class Greeter:
    """An activity that is a callable class: the worker is given an instance."""

    def __init__(self, greeting: str) -> None:
        self.greeting = greeting

    async def __call__(self, order: Order) -> str:
        return f"{self.greeting}, {order.item}"


@workflow.defn
class Shopping:
    @workflow.run
    async def run(self) -> list[object]:
        timeout = timedelta(seconds=10)
        order = Order("pear", 3)
        return [
            await workflow.execute_activity_method(Shop.price, order, start_to_close_timeout=timeout),
            await workflow.execute_activity_method(Shop.stock, "pear", start_to_close_timeout=timeout),
            await workflow.execute_activity_class(Greeter, order, start_to_close_timeout=timeout),
            await workflow.execute_local_activity_method(Shop.price, order, start_to_close_timeout=timeout),
        ]


async def test_method_and_class_activities_run_on_the_instances_the_worker_holds(
    local_env: WorkflowEnvironment,
) -> None:
    shop, task_queue = Shop("corner"), str(uuid.uuid4())
    async with Worker(
        local_env.client,
        task_queue=task_queue,
        workflows=[Shopping],
        activities=[shop.price, shop.stock, Greeter("hello")],
    ):
        result = await local_env.client.execute_workflow(Shopping.run, id=str(uuid.uuid4()), task_queue=task_queue)
    assert result == ["corner: 3 x pear", 10, "hello, pear", "corner: 3 x pear"]
