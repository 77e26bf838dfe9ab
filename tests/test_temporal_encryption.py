"""What Temporal keeps of a ticket is ciphertext (docs/temporal-security.md): a report's description,
place and reporter are in no payload Temporal stores, nor in its ids, search attributes or memo;
with the key the ticket reads and replays as before; a key retired from writing still reads what
it wrote, and a payload of a key the ring lacks fails loudly."""

import json
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from google.protobuf.message import Message
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHistory, WorkflowQueryFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.service import RPCError
from temporalio.worker import Replayer

from domain.contracts import TicketInput
from readmodel.db import Database
from settings import Settings, settings
from temporal_client import connect, data_converter
from temporal_codec import (
    ENCODING,
    KEY_ID,
    PayloadKeysInvalid,
    PayloadKeysMissing,
    PayloadUndecryptable,
    new_key,
)
from tests.api_fixtures import CGJ, WANG, Gridflow, gf, running_app  # noqa: F401
from tests.factories import LAT, LON
from tests.test_api_lifecycle import wait_for_status
from worker import build_worker
from workflows.search_attributes import TICKET_GRID
from workflows.subject import SubjectWorkflow
from workflows.ticket import TicketWorkflow

BACKENDS = ["sqlite"]  # Temporal's storage is the point, not the read model's
HISTORIES = Path(__file__).parent / "histories"
_MARKER = ".marker_recorded_event_attributes.details[{}].payloads"
SDK_BOOKKEEPING = {
    ("core_patch", _MARKER.format("patch-data")),
    ("core_local_activity", _MARKER.format("data")),
}


def payloads_in(message: Message, path: str = "") -> Iterator[tuple[str, Payload]]:
    """Every Payload anywhere in a protobuf message, with the field path it sits at."""
    if isinstance(message, Payload):
        yield path, message
        return
    for field, value in message.ListFields():
        here = f"{path}.{field.name}"
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            for key, item in value.items():
                if isinstance(item, Message):
                    yield from payloads_in(item, f"{here}[{key}]")
        elif isinstance(value, Message):
            yield from payloads_in(value, here)
        else:  # a repeated field
            for item in value:
                yield from payloads_in(item, here)


def plain_bytes(history: WorkflowHistory) -> bytes:
    """All of a history's payloads as Temporal stores them: data and metadata."""
    return b"\n".join(
        payload.data + b"".join(payload.metadata.values())
        for event in history.events
        for _, payload in payloads_in(event)
    )


def key_ids(history: WorkflowHistory) -> set[str]:
    return {
        payload.metadata[KEY_ID].decode()
        for event in history.events
        for _, payload in payloads_in(event)
        if KEY_ID in payload.metadata
    }


def converter(keys: dict[str, str], active: str | None = None) -> DataConverter:
    return data_converter(Settings(payload_keys=SecretStr(json.dumps(keys)), payload_key_id=active))


async def client_like(client: Client, **keys: str) -> Client:
    """Another client of the same server and namespace, with its own key ring (the first key
    writes)."""
    return await Client.connect(
        client.service_client.config.target_host,
        namespace=client.namespace,
        data_converter=converter(keys, next(iter(keys))),
    )


async def test_a_report_is_ciphertext_in_temporal_and_reads_with_the_key(gf: Gridflow) -> None:
    secret = f"张三家门口 secret-{uuid.uuid4().hex}"
    ticket_id = await gf.new_ticket(description=secret)
    await wait_for_status(gf, ticket_id, "dispatched")
    # Temporal's side, as its database and UI have it: no codec.
    raw = await Client.connect(
        gf.client.service_client.config.target_host,
        namespace=gf.client.namespace,
        data_converter=pydantic_data_converter,
    )
    history = await raw.get_workflow_handle(ticket_id).fetch_history()
    stored = plain_bytes(history)
    for personal in (secret, "张三", str(LAT), str(LON), '"wang"'):
        assert personal.encode() not in stored, personal
    # Every payload is encrypted, but the search attributes (plain by design, checked below) and
    # the SDK's own bookkeeping in its markers (patch ids; a local activity's type and attempt).
    plain = [
        (where, payload.data[:200])
        for event in history.events
        for where, payload in payloads_in(event)
        if payload.metadata.get("encoding") != ENCODING
        and "search_attributes" not in where
        and (event.marker_recorded_event_attributes.marker_name, where) not in SDK_BOOKKEEPING
    ]
    assert plain == [], "\n".join(map(repr, plain))
    assert key_ids(history) == {"tests"}
    # With the key: the workflow answers, and its history replays.
    handle = gf.client.get_workflow_handle(ticket_id)
    snapshot = await handle.query(TicketWorkflow.snapshot)
    assert (snapshot.description, snapshot.lat, snapshot.lon) == (secret, LAT, LON)
    assert snapshot.reporter_id == "wang"
    replayer = Replayer(
        workflows=[TicketWorkflow, SubjectWorkflow], data_converter=gf.client.data_converter
    )
    await replayer.replay_workflow(await handle.fetch_history())


async def test_ids_search_attributes_and_memo_carry_no_personal_data(gf: Gridflow) -> None:
    secret = f"李四的电话 13800138000 {uuid.uuid4().hex}"
    ticket_id = await gf.new_ticket(description=secret)
    ticket = await wait_for_status(gf, ticket_id, "dispatched")
    personal = [secret, "13800138000", str(LAT), str(LON), "wang", "王"]
    listed = [
        w async for w in gf.client.list_workflows(f'WorkflowId = "{ticket_id}"', page_size=10)
    ]
    assert [w.id for w in listed] == [ticket_id]
    described = await gf.client.get_workflow_handle(ticket_id).describe()
    info = described.raw_description.workflow_execution_info
    seen: dict[str, str | bytes] = {
        "id": ticket_id,
        "listed search attributes": repr(listed[0].search_attributes),
        "search attributes": repr(described.typed_search_attributes),
        "memo as stored": b"".join(p.data for p in info.memo.fields.values()),
        "summary as stored": described.raw_description.execution_config.user_metadata.summary.data,
    }
    # The visibility store indexes the ticket by what it is, not by who reported it.
    assert described.typed_search_attributes.get(TICKET_GRID) == ticket["grid"]
    for what, value in seen.items():
        text = value if isinstance(value, bytes) else value.encode()
        for item in personal:
            assert item.encode() not in text, (what, item)
    # The memo reads with the key, and holds a fingerprint, not the report.
    assert set(await described.memo()) == {"request_sha256"}


@asynccontextmanager
async def gridflow_as(client: Client, db: Database, task_queue: str) -> AsyncIterator[Gridflow]:
    """A worker and an API on `client` (its key ring), serving one task queue across restarts."""
    with tempfile.TemporaryDirectory(prefix="gridflow-data-") as data_dir:
        config = Settings(task_queue=task_queue, database_url=db.url, data_dir=Path(data_dir))
        async with build_worker(client, db=db, config=config):
            async with running_app(client, db, config) as http:
                yield Gridflow(http=http, db=db, config=config, client=client)


async def test_a_retired_key_still_reads_its_tickets(temporal_client: Client, db: Database) -> None:
    a, b = new_key(), new_key()
    under_a = await client_like(temporal_client, a=a)
    after_rotation = await client_like(temporal_client, b=b, a=a)  # b writes, a is kept
    queue = f"tq-{uuid.uuid4()}"
    async with gridflow_as(under_a, db, queue) as before:
        ticket_id = await before.new_ticket(description="旋转前 before the rotation")
        await wait_for_status(before, ticket_id, "dispatched")
    async with gridflow_as(after_rotation, db, queue) as after:  # the processes restart
        claimed = await after.act(ticket_id, "claim", CGJ)
        assert claimed.status_code == 200, claimed.text
        handle = after_rotation.get_workflow_handle(ticket_id)
        snapshot = await handle.query(TicketWorkflow.snapshot, rpc_timeout=timedelta(seconds=10))
        assert snapshot.status == "claimed"
        assert snapshot.description == "旋转前 before the rotation"
        history = await handle.fetch_history()
    assert key_ids(history) == {"a", "b"}  # written under a, then under b
    started = history.events[0].workflow_execution_started_event_attributes.input.payloads
    assert started[0].metadata[KEY_ID] == b"a"

    # A ring without a: the payloads a wrote fail loudly, in a client and in a worker.
    without_a = await client_like(temporal_client, b=b)
    with pytest.raises(PayloadUndecryptable, match="'a'"):
        await without_a.data_converter.decode(list(started), [TicketInput])
    async with gridflow_as(without_a, db, queue):
        with pytest.raises((WorkflowQueryFailedError, RPCError)):
            await without_a.get_workflow_handle(ticket_id).query(
                TicketWorkflow.snapshot, rpc_timeout=timedelta(seconds=10)
            )


async def test_histories_from_before_encryption_replay_and_read_with_the_codec() -> None:
    codec_on = data_converter(settings)
    assert codec_on.payload_codec is not None
    path = sorted(HISTORIES.glob("v6_*.json"))[0]
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    assert key_ids(history) == set()  # recorded in plaintext
    start = history.events[0].workflow_execution_started_event_attributes.input.payloads
    (ticket_input,) = await codec_on.decode(list(start), [TicketInput])
    assert ticket_input.incident.description
    replayer = Replayer(workflows=[TicketWorkflow, SubjectWorkflow], data_converter=codec_on)
    await replayer.replay_workflow(history)


async def test_without_keys_no_process_connects_unless_told_to_write_plaintext() -> None:
    with pytest.raises(PayloadKeysMissing, match="GRIDFLOW_PAYLOAD_ENCRYPTION=off"):
        await connect(Settings(payload_keys=None, payload_keys_file=None))
    off = Settings(payload_keys=None, payload_keys_file=None, payload_encryption=False)
    assert data_converter(off) is pydantic_data_converter


@pytest.mark.parametrize(
    ("keys", "active", "named"),
    [
        ("k1=abc", None, "not JSON"),
        ("{}", None, "names no key"),
        ('{"k1": "c2hvcnQ="}', None, "'k1' is not the base64 of 32 bytes"),
        (json.dumps({"k1": new_key(), "k2": new_key()}), None, "GRIDFLOW_PAYLOAD_KEY_ID names"),
        (json.dumps({"k1": new_key()}), "k2", "'k2' is not among"),
    ],
)
def test_unusable_keys_are_named(keys: str, active: str | None, named: str) -> None:
    with pytest.raises(PayloadKeysInvalid, match=named):
        data_converter(Settings(payload_keys=SecretStr(keys), payload_key_id=active))


async def test_a_payload_relabelled_with_another_key_id_does_not_decrypt() -> None:
    ring = converter({"k1": new_key(), "k2": new_key()}, "k1")
    assert ring.payload_codec is not None
    (sealed,) = await ring.payload_codec.encode([Payload(data=b"secret")])
    sealed.metadata[KEY_ID] = b"k2"
    with pytest.raises(PayloadUndecryptable, match="does not decrypt with key 'k2'"):
        await ring.payload_codec.decode([sealed])
