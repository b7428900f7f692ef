"""Text messages to borrowers: a sender port and an in-memory recording simulator."""

from integrations.sms.sender import MAX_SMS_TEXT_CHARS, SmsSender, SmsTooLong, check_text
from integrations.sms.simulator import RecordingSmsSender, SentSms

__all__ = [
    "MAX_SMS_TEXT_CHARS",
    "RecordingSmsSender",
    "SentSms",
    "SmsSender",
    "SmsTooLong",
    "check_text",
]
