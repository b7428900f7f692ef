"""Work handed to the worker leaves only when its transaction commits: never for a rollback,
never for a rolled-back savepoint, once for a commit, through the session's own queue."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from app.db.engine import Database
from app.db.session import Sessions
from app.tasks import refs
from app.tasks.queue import TASK_QUEUE_KEY, after_commit
from app.tasks.refs import TaskRef
from tests.support.api import RecordingTaskQueue


@pytest.fixture
def queue() -> RecordingTaskQueue:
    return RecordingTaskQueue()


@pytest.fixture
def queued_sessions(database: Database, queue: RecordingTaskQueue) -> Sessions:
    return Sessions(database, info={TASK_QUEUE_KEY: queue})


def test_a_commit_sends_once_and_in_order(
    queued_sessions: Sessions, queue: RecordingTaskQueue
) -> None:
    with queued_sessions.unit_of_work() as session:
        after_commit(session, refs.SUBMIT_PAYOUT, 1)
        after_commit(session, refs.SEND_STK, 2)
        assert queue.sent == []  # nothing leaves before the commit
    assert queue.sent == [("payments.submit_payout", (1,)), ("mpesa.send_stk", (2,))]
    with queued_sessions.unit_of_work():
        pass
    assert len(queue.sent) == 2  # a later transaction sends nothing again


class Refused(RuntimeError):
    pass


def _refuse_after(session: Session, ref: TaskRef, argument: int) -> None:
    after_commit(session, ref, argument)
    raise Refused


def test_a_rollback_sends_nothing(queued_sessions: Sessions, queue: RecordingTaskQueue) -> None:
    with pytest.raises(Refused), queued_sessions.unit_of_work() as session:
        _refuse_after(session, refs.SUBMIT_PAYOUT, 1)
    assert queue.sent == []


def test_a_rolled_back_savepoint_forgets_only_its_own(
    queued_sessions: Sessions, queue: RecordingTaskQueue
) -> None:
    with queued_sessions.unit_of_work() as session:
        after_commit(session, refs.SUBMIT_PAYOUT, 1)
        with pytest.raises(Refused), session.begin_nested():
            _refuse_after(session, refs.SEND_STK, 2)
        with session.begin_nested():
            after_commit(session, refs.COMPLETE_REGISTRATION, 3)
    assert queue.sent == [
        ("payments.submit_payout", (1,)),
        ("ussd.complete_registration", (3,)),
    ]


def test_outside_a_transaction_is_a_bug(queued_sessions: Sessions) -> None:
    with queued_sessions.reader() as session:
        session.rollback()
        with pytest.raises(RuntimeError, match="outside a transaction"):
            after_commit(session, refs.SUBMIT_PAYOUT, 1)
