"""The production brokers carry the API's tasks: what ``CeleryTaskQueue`` sends through
Redis or RabbitMQ arrives on the deployment's queue with its name and arguments (the
client library of each transport is installed and locked)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kombu import Connection

from app.settings import Settings
from app.tasks import refs
from app.tasks.queue import CeleryTaskQueue
from tests.support.brokers import drop_queue, fresh_queue


@pytest.fixture(
    params=[
        pytest.param("redis", marks=pytest.mark.redis),
        pytest.param("rabbitmq", marks=pytest.mark.rabbitmq),
    ]
)
def broker(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    url: str = request.getfixturevalue(f"{request.param}_url")
    queue = fresh_queue()
    yield url, queue
    drop_queue(url, queue)


def test_a_task_handed_over_by_the_api_arrives_on_the_deployment_s_queue(
    broker: tuple[str, str],
) -> None:
    url, queue = broker
    CeleryTaskQueue(Settings(broker_url=url, task_queue=queue)).send(refs.COMPLETE_REGISTRATION, 42)
    with Connection(url) as connection:
        message = connection.SimpleQueue(queue).get(timeout=10)
        message.ack()
    assert message.headers["task"] == "ussd.complete_registration"
    assert message.payload[0] == [42]
