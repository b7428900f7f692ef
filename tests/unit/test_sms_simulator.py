"""The recording SMS sender: what a borrower would have received, and logs without numbers."""

from __future__ import annotations

import logging
import re
import threading
from datetime import UTC, datetime

import pytest

from integrations.phone import InvalidMsisdn
from integrations.sms import MAX_SMS_TEXT_CHARS, RecordingSmsSender, SentSms, SmsTooLong
from integrations.sms import check_text as check_sms_text
from tests.support.clock import FrozenClock

MORNING = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


@pytest.fixture
def sender() -> RecordingSmsSender:
    return RecordingSmsSender(clock=FrozenClock(MORNING))


def test_a_sent_sms_is_recorded_for_the_borrowers_number(sender: RecordingSmsSender) -> None:
    message_id = sender.send("0712345678", "Your loan of KES 500.00 is on its way.")
    assert sender.messages_to("+254712345678") == [
        SentSms(message_id, "254712345678", "Your loan of KES 500.00 is on its way.", MORNING)
    ]


def test_messages_to_one_number_do_not_show_for_another(sender: RecordingSmsSender) -> None:
    sender.send("0712345678", "first")
    sender.send("0722000111", "second")
    sender.send("0712 345 678", "third")
    assert [sms.text for sms in sender.messages_to("0712345678")] == ["first", "third"]


def test_message_ids_look_like_sim_and_12_hex_and_differ(sender: RecordingSmsSender) -> None:
    ids = {sender.send("0712345678", "hello") for _ in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch(r"SIM-[0-9A-F]{12}", message_id) for message_id in ids)


def test_a_480_character_text_fits_in_three_sms(sender: RecordingSmsSender) -> None:
    sender.send("0712345678", "x" * MAX_SMS_TEXT_CHARS)
    assert len(sender.messages_to("0712345678")) == 1


def test_a_481_character_text_is_refused_and_not_recorded(sender: RecordingSmsSender) -> None:
    with pytest.raises(SmsTooLong):
        sender.send("0712345678", "x" * (MAX_SMS_TEXT_CHARS + 1))
    assert sender.messages_to("0712345678") == []


def test_the_shared_length_check_refuses_over_480() -> None:
    check_sms_text("x" * 480)
    with pytest.raises(SmsTooLong):
        check_sms_text("x" * 481)


def test_an_sms_to_a_number_that_is_not_kenyan_is_refused(sender: RecordingSmsSender) -> None:
    with pytest.raises(InvalidMsisdn):
        sender.send("+447700900123", "hello")


def test_only_the_newest_messages_are_kept() -> None:
    sender = RecordingSmsSender(clock=FrozenClock(MORNING), max_messages=3)
    for number in range(5):
        sender.send("0712345678", f"message {number}")
    texts = [sms.text for sms in sender.messages_to("0712345678")]
    assert texts == ["message 2", "message 3", "message 4"]


def test_the_log_shows_a_masked_number_and_the_length_never_the_number_or_text(
    sender: RecordingSmsSender, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="integrations.sms.simulator"):
        sender.send("0712345678", "Your PIN reset code is 4821")
    logged = caplog.text
    assert "2547******78" in logged
    assert "chars=27" in logged
    assert "712345678" not in logged
    assert "4821" not in logged


def test_senders_on_many_threads_lose_no_message(sender: RecordingSmsSender) -> None:
    def send_many() -> None:
        for _ in range(100):
            sender.send("0712345678", "hello")

    threads = [threading.Thread(target=send_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sender.messages_to("0712345678")) == 800
