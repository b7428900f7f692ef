"""An SMS sender that records messages in memory instead of sending them.

For the embedded default and tests: ``messages_to`` shows what a borrower would have received.
Invariants: memory is bounded (the oldest messages are dropped after ``MAX_RECORDED_SMS``), it
is safe to share between threads, and its log lines show only the masked number and the text's
length, never the full number or the text (which may carry a one-time code).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from integrations.phone import mask_msisdn, normalise_msisdn
from integrations.sms.sender import check_text

MAX_RECORDED_SMS = 10_000
MESSAGE_ID_PREFIX = "SIM-"
MESSAGE_ID_HEX_CHARS = 12

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SentSms:
    message_id: str
    msisdn: str
    text: str
    sent_at: datetime


def _system_clock() -> datetime:
    return datetime.now(UTC)


class RecordingSmsSender:
    """Records each message under the number's normalised form; ``clock`` stamps ``sent_at``."""

    def __init__(
        self,
        clock: Callable[[], datetime] = _system_clock,
        max_messages: int = MAX_RECORDED_SMS,
    ) -> None:
        self._clock = clock
        self._messages: deque[SentSms] = deque(maxlen=max_messages)
        self._lock = threading.Lock()

    def send(self, msisdn: str, text: str) -> str:
        check_text(text)
        msisdn = normalise_msisdn(msisdn)
        # Random rather than a counter, so ids stay unique across restarts and instances.
        message_id = MESSAGE_ID_PREFIX + uuid.uuid4().hex[:MESSAGE_ID_HEX_CHARS].upper()
        sms = SentSms(message_id, msisdn, text, self._clock())
        with self._lock:
            self._messages.append(sms)
        logger.info("sms recorded id=%s to=%s chars=%d", message_id, mask_msisdn(msisdn), len(text))
        return message_id

    def messages_to(self, msisdn: str) -> list[SentSms]:
        """Messages recorded for the number (in any accepted format), oldest first."""
        msisdn = normalise_msisdn(msisdn)
        with self._lock:
            return [sms for sms in self._messages if sms.msisdn == msisdn]
