"""The bureau files of a date: built from the book, validated with the template's own
validator (``integrations.crb.validation``, the one the bureau runs), then written.

Invariant: a file that breaks a template rule is never written; the caller gets every error
(``InvalidExport``). Every bureau gets the same records (full-file sharing with all licensed
bureaus), each under its own name in ``<out>/<bureau>/``.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from app.crb.book import account_facts, borrower_ids, consumer_facts
from app.crb.records import account_record, consumer_record
from app.security.fields import FieldCipher
from integrations.crb.folders import write_atomically
from integrations.crb.template import BUREAUS, SEPARATOR, FileType, file_name, header
from integrations.crb.validation import RecordError, validate_file


class FileKind(enum.StrEnum):
    DAILY = "daily"
    MONTHLY = "monthly"


class InvalidExport(ValueError):
    """A file of the export breaks the template's rules: nothing was written."""

    def __init__(self, errors: dict[FileType, list[RecordError]]) -> None:
        self.errors = errors
        lines = [
            f"{file_type} record {e.record} {e.field}: {e.reason}"
            for file_type, found in errors.items()
            for e in found
        ]
        super().__init__("; ".join(lines[:20]))


@dataclass(frozen=True, slots=True)
class BureauFile:
    bureau: str
    file_type: FileType
    name: str
    data: bytes
    records: int
    as_of: date
    kind: FileKind

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _text(file_type: FileType, rows: list[list[str]]) -> str:
    return "".join(f"{line}\n" for line in [header(file_type), *map(SEPARATOR.join, rows)])


def build_texts(
    session: Session, cipher: FieldCipher, as_of: date, kind: FileKind
) -> dict[FileType, tuple[str, int]]:
    """The consumer and account files' text and record counts, validated."""
    consumers = consumer_facts(session, cipher, borrower_ids(session, kind, as_of), as_of)
    national_ids = {c.borrower_id: c.national_id for c in consumers}
    accounts = [account_record(f) for f in account_facts(session, kind, as_of, national_ids)]
    rows = {FileType.CONSUMER: [consumer_record(c) for c in consumers], FileType.ACCOUNT: accounts}
    texts = {t: (_text(t, found), len(found)) for t, found in rows.items()}
    errors = {t: e for t, (text, _) in texts.items() if (e := validate_file(t, text))}
    if errors:
        raise InvalidExport(errors)
    return texts


def build_files(
    session: Session,
    cipher: FieldCipher,
    as_of: date,
    kind: FileKind,
    bureaus: tuple[str, ...] = BUREAUS,
) -> list[BureauFile]:
    texts = build_texts(session, cipher, as_of, kind)
    day = as_of.strftime("%Y%m%d")
    return [
        BureauFile(bureau, t, file_name(bureau, t, kind, day), text.encode(), count, as_of, kind)
        for bureau in bureaus
        for t, (text, count) in texts.items()
    ]


def write_files(files: list[BureauFile], out_dir: Path) -> list[Path]:
    written = []
    for f in files:
        folder = out_dir / f.bureau
        folder.mkdir(parents=True, exist_ok=True)
        write_atomically(folder / f.name, f.data)
        written.append(folder / f.name)
    return written
