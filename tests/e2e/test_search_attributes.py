"""Typed search attributes against a real server, as temporalio's: registered per namespace,
set at start, upserted by the workflow (in history and in ``info()`` at once), handed to a
child and to the next run, shown by describe and list, and usable in list filters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from legato import workflow
from legato.api.operatorservice import v1 as operator
from legato.client import Client, RPCError, RPCStatusCode, WorkflowFailureError
from legato.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
from tests.e2e.test_codec import CONVERTER
from tests.support.deadline import eventually
from tests.support.server_process import ServerProcess, running_worker

pytestmark = pytest.mark.e2e

CUSTOMER = SearchAttributeKey.for_keyword("CustomerId")
AMOUNT = SearchAttributeKey.for_int("Amount")
PRIORITY = SearchAttributeKey.for_float("Score")
RUSH = SearchAttributeKey.for_bool("Rush")
DUE = SearchAttributeKey.for_datetime("DueAt")
TAGS = SearchAttributeKey.for_keyword_list("Tags")
NOTE = SearchAttributeKey.for_text("Note")
TYPES = {
    "CustomerId": operator.SearchAttributeType.KEYWORD,
    "Amount": operator.SearchAttributeType.INT,
    "Score": operator.SearchAttributeType.DOUBLE,
    "Rush": operator.SearchAttributeType.BOOL,
    "DueAt": operator.SearchAttributeType.DATETIME,
    "Tags": operator.SearchAttributeType.KEYWORD_LIST,
    "Note": operator.SearchAttributeType.TEXT,
}
DUE_AT = datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)


@workflow.defn
class Upserts:
    @workflow.run
    async def run(self) -> list[str]:
        seen = [repr(workflow.info().typed_search_attributes.get(CUSTOMER))]
        workflow.upsert_search_attributes(
            [AMOUNT.value_set(5), TAGS.value_set(["red", "blue"]), CUSTOMER.value_unset()]
        )
        info = workflow.info().typed_search_attributes
        seen += [repr(info.get(CUSTOMER)), repr(info.get(AMOUNT)), repr(info.get(TAGS))]
        await workflow.wait_condition(lambda: self.done)
        return seen

    def __init__(self) -> None:
        self.done = False

    @workflow.signal
    def finish(self) -> None:
        self.done = True


@workflow.defn
class Child:
    @workflow.run
    async def run(self) -> str:
        return str(workflow.info().typed_search_attributes.get(CUSTOMER))


@workflow.defn
class Parent:
    @workflow.run
    async def run(self) -> str:
        attributes = TypedSearchAttributes([SearchAttributePair(CUSTOMER, "child-of-parent")])
        result = await workflow.execute_child_workflow(Child.run, id="the-child", search_attributes=attributes)
        return str(result)


@workflow.defn
class Continues:
    @workflow.run
    async def run(self, round: int) -> str:
        if round == 0:
            workflow.upsert_search_attributes([AMOUNT.value_set(7)])
            workflow.continue_as_new(1)
        info = workflow.info().typed_search_attributes
        return f"{info.get(CUSTOMER)} {info.get(AMOUNT)}"


@workflow.defn
class UpsertsUnregistered:
    @workflow.run
    async def run(self) -> None:
        workflow.upsert_search_attributes([SearchAttributeKey.for_keyword("Nope").value_set("x")])


async def register(client: Client) -> None:
    await client.operator_service.add_search_attributes(operator.AddSearchAttributesRequest(search_attributes=TYPES))


async def test_registered_attributes_are_listed_beside_the_system_ones(client: Client) -> None:
    await register(client)
    listed = await client.operator_service.list_search_attributes()
    assert listed.custom_attributes == TYPES
    assert listed.system_attributes["WorkflowId"] is operator.SearchAttributeType.KEYWORD
    assert listed.system_attributes["StartTime"] is operator.SearchAttributeType.DATETIME


async def test_a_start_with_an_unregistered_attribute_is_refused_by_name(client: Client) -> None:
    attributes = TypedSearchAttributes([SearchAttributePair(CUSTOMER, "c-1")])
    with pytest.raises(RPCError) as refused:
        await client.start_workflow("Upserts", id="refused", task_queue="sa", search_attributes=attributes)
    assert refused.value.status is RPCStatusCode.INVALID_ARGUMENT
    assert "Namespace default has no mapping defined for search attribute CustomerId" in str(refused.value)
    assert [e async for e in client.list_workflows()] == []


async def test_a_value_of_the_wrong_type_is_refused_naming_the_attribute(client: Client) -> None:
    await register(client)
    with pytest.raises(RPCError) as refused:
        await client.start_workflow("Upserts", id="bad", task_queue="sa", search_attributes={"Amount": ["lots"]})
    assert refused.value.status is RPCStatusCode.INVALID_ARGUMENT
    assert "invalid value for search attribute Amount of type Int" in str(refused.value)


async def test_start_and_upserts_show_in_info_describe_history_and_list(client: Client) -> None:
    await register(client)
    start = TypedSearchAttributes(
        [
            SearchAttributePair(CUSTOMER, "c-1"),
            SearchAttributePair(DUE, DUE_AT),
            SearchAttributePair(RUSH, True),
            SearchAttributePair(PRIORITY, 0.5),
            SearchAttributePair(NOTE, "deliver to the back door"),
        ]
    )
    async with running_worker(client, task_queue="sa", workflows=[Upserts]):
        handle = await client.start_workflow(Upserts.run, id="order-1", task_queue="sa", search_attributes=start)

        async def upserted() -> bool:
            return (await handle.describe()).typed_search_attributes.get(AMOUNT) == 5

        await eventually(upserted, within=20, what="the upsert to reach describe")
        described = await handle.describe()
        assert described.typed_search_attributes.get(CUSTOMER) is None
        assert described.typed_search_attributes.get(TAGS) == ["red", "blue"]
        assert described.typed_search_attributes.get(DUE) == DUE_AT
        assert described.typed_search_attributes.get(RUSH) is True
        assert described.search_attributes["Amount"] == [5]
        listed = [e async for e in client.list_workflows("Amount = 5")]
        assert [e.id for e in listed] == ["order-1"]
        assert listed[0].typed_search_attributes.get(PRIORITY) == 0.5
        await handle.signal(Upserts.finish)
        assert await handle.result() == ["'c-1'", "None", "5", "['red', 'blue']"]
    upserts = [e async for e in handle.fetch_history_events() if e.attributes.type == "UpsertWorkflowSearchAttributes"]
    assert len(upserts) == 1


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("Amount > 3 AND Amount <= 5", ["order-1"]),
        ("Amount BETWEEN 6 AND 9", []),
        ("Tags = 'red'", ["order-1"]),
        ("Tags IN ('green', 'blue')", ["order-1"]),
        ("Tags = 'green'", []),
        ("CustomerId IS NULL", ["plain", "order-1"]),
        ("DueAt > '2027-01-01T00:00:00Z'", ["order-1"]),
        ("DueAt < '2027-01-01T00:00:00Z'", []),
        ("Rush = true", ["order-1"]),
        ("Score >= 0.5", ["order-1"]),
        ("Note = 'door'", ["order-1"]),
        ("Note = 'window'", []),
        ("Amount != 5", []),
        ("Amount != 4", ["order-1"]),
        ("Rush = false", []),
        ("Tags NOT IN ('red')", []),
    ],
)
async def test_list_filters_read_custom_attributes_by_their_type(client: Client, query: str, found: list[str]) -> None:
    await register(client)
    start = TypedSearchAttributes(
        [
            SearchAttributePair(AMOUNT, 5),
            SearchAttributePair(TAGS, ["red", "blue"]),
            SearchAttributePair(DUE, DUE_AT),
            SearchAttributePair(RUSH, True),
            SearchAttributePair(PRIORITY, 0.5),
            SearchAttributePair(NOTE, "deliver to the back door"),
        ]
    )
    await client.start_workflow("Upserts", id="order-1", task_queue="nobody", search_attributes=start)
    await client.start_workflow("Upserts", id="plain", task_queue="nobody")
    assert [e.id async for e in client.list_workflows(query)] == found


async def test_a_filter_on_an_unregistered_attribute_names_it(client: Client) -> None:
    with pytest.raises(RPCError, match="invalid search attribute: Amount") as refused:
        await client.count_workflows("Amount = 5")
    assert refused.value.status is RPCStatusCode.INVALID_ARGUMENT


async def test_a_child_gets_the_attributes_its_parent_gave_it(client: Client) -> None:
    await register(client)
    async with running_worker(client, task_queue="sa", workflows=[Parent, Child]):
        assert await client.execute_workflow(Parent.run, id="parent", task_queue="sa") == "child-of-parent"
    child = await client.get_workflow_handle("the-child").describe()
    assert child.typed_search_attributes.get(CUSTOMER) == "child-of-parent"


async def test_the_next_run_keeps_the_attributes_of_the_run_it_continues(client: Client) -> None:
    await register(client)
    start = TypedSearchAttributes([SearchAttributePair(CUSTOMER, "c-9")])
    async with running_worker(client, task_queue="sa", workflows=[Continues]):
        result = await client.execute_workflow(Continues.run, 0, id="chain", task_queue="sa", search_attributes=start)
    assert result == "c-9 7"


async def test_an_upsert_of_an_unregistered_attribute_fails_the_workflow_task(client: Client) -> None:
    async with running_worker(client, task_queue="sa", workflows=[UpsertsUnregistered]):
        handle = await client.start_workflow(UpsertsUnregistered.run, id="bad-upsert", task_queue="sa")

        async def failed_task() -> bool:
            events = [e async for e in handle.fetch_history_events()]
            return any(e.attributes.type == "WorkflowTaskFailed" for e in events)

        await eventually(failed_task, within=20, what="the refused upsert to fail the workflow task")
        events = [e async for e in handle.fetch_history_events()]
        failed = next(e.attributes for e in events if e.attributes.type == "WorkflowTaskFailed")
        assert getattr(failed, "cause", "") == "BAD_SEARCH_ATTRIBUTES"
        assert "no mapping defined for search attribute Nope" in str(getattr(failed, "failure", ""))
        await handle.terminate()
    with pytest.raises(WorkflowFailureError):
        await handle.result()


async def test_search_attributes_skip_the_payload_codec_both_ways(server: ServerProcess) -> None:
    async with await Client.connect(server.address, data_converter=CONVERTER) as client:
        await register(client)
        start = TypedSearchAttributes([SearchAttributePair(CUSTOMER, "c-1")])
        async with running_worker(client, task_queue="codec", workflows=[Upserts]):
            handle = await client.start_workflow(Upserts.run, id="coded", task_queue="codec", search_attributes=start)

            async def upserted() -> bool:
                return [e.id async for e in client.list_workflows("Amount = 5 AND Tags = 'red'")] == ["coded"]

            await eventually(upserted, within=20, what="the upsert, through a codec, to be searchable")
            await handle.signal(Upserts.finish)
            assert await handle.result() == ["'c-1'", "None", "5", "['red', 'blue']"]
