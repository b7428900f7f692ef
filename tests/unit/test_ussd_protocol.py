"""The gateway's form posts, and how a hop's ``text`` is read against the session's last one
(next input, the same hop re-sent, an older hop arriving late)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from app.security.fields import BlindIndex
from app.ussd.gateway import MalformedRequest, parse_hop, parse_session_end
from app.ussd.models import UssdSession
from app.ussd.store import Answer, HopKind, read_hop, save, text_digest

INDEX = BlindIndex(b"k" * 32)
SESSION = "ATUid_7c898d72eb11f723ed8ea05ef232f279"


def form(**fields: str) -> bytes:
    return urlencode(fields).encode()


def test_a_hop_is_read_from_the_gateway_form() -> None:
    hop = parse_hop(
        form(
            sessionId=SESSION,
            serviceCode="*384*44135#",
            phoneNumber="+254739495441",
            networkCode="63902",
            text="1*2*5000",
        )
    )
    assert (hop.session_id, hop.service_code, hop.phone_number, hop.text) == (
        SESSION,
        "*384*44135#",
        "+254739495441",
        "1*2*5000",
    )


@pytest.mark.parametrize(
    "body",
    [
        b"",
        form(serviceCode="*384#", phoneNumber="+254739495441", text=""),
        form(sessionId="a b", serviceCode="*384#", phoneNumber="+254739495441", text=""),
        form(sessionId="x" * 101, serviceCode="*384#", phoneNumber="+254739495441", text=""),
        form(sessionId=SESSION, phoneNumber="+254739495441", text=""),
        form(sessionId=SESSION, serviceCode="*384#", phoneNumber="+254739495441"),
        b"sessionId=%ff%fe",
    ],
)
def test_a_post_that_is_not_a_hop_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedRequest):
        parse_hop(body)


def test_the_end_of_session_notification_keeps_counts_and_status() -> None:
    event = parse_session_end(
        form(
            sessionId=SESSION,
            status="Failed",
            hopsCount="4",
            durationInMillis="not a number",
            errorMessage="x" * 900,
        )
    )
    assert (event.status, event.hops_count, event.duration_ms) == ("Failed", 4, None)
    assert len(event.error_message) == 500


def row_after(*texts: str) -> UssdSession:
    row = UssdSession(hops=0, last_text_digest="", last_text_chars=0, data={})
    now = datetime(2026, 3, 2, tzinfo=UTC)
    for text in texts:
        save(row, text, digest(text), Answer(f"CON after {text!r}", "main", {}, False), now)
    return row


def digest(text: str) -> str:
    return text_digest(INDEX, SESSION, text)


def read(row: UssdSession, text: str) -> tuple[HopKind, list[str]]:
    reading = read_hop(row, text, digest(text), digest)
    return reading.kind, reading.inputs


def test_each_hop_brings_the_input_after_the_last_text() -> None:
    assert read(row_after(), "") == (HopKind.FIRST, [])
    assert read(row_after(), "1*2") == (HopKind.FIRST, ["1", "2"])  # dialled *384*1*2#
    assert read(row_after(""), "1") == (HopKind.NEXT, ["1"])
    assert read(row_after("", "1"), "1*500") == (HopKind.NEXT, ["500"])
    assert read(row_after("", "1", "1*500"), "1*500*00") == (HopKind.NEXT, ["00"])
    assert read(row_after("", "1"), "1**") == (HopKind.NEXT, ["*"])  # one input, refused later


def test_the_same_hop_re_sent_or_an_older_one_is_not_a_new_input() -> None:
    row = row_after("", "1", "1*500")
    assert read(row, "1*500") == (HopKind.RESENT, [])
    assert read(row, "1") == (HopKind.STALE, [])
    assert read(row, "2*500*1") == (HopKind.STALE, [])  # does not continue the last text
    assert row.last_reply == "CON after '1*500'"
    assert "500" not in row.last_text_digest  # only a keyed digest of the inputs is kept
