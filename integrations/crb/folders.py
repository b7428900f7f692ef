"""The drop-folder contract between the fund and a bureau: ``<root>/<bureau>/inbox/`` and
``<root>/<bureau>/acknowledgements/``. Files are written under a temporary name and renamed,
so a reader never sees half a file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ACK_SUFFIX = ".ack.json"


@dataclass(frozen=True, slots=True)
class BureauFolder:
    root: Path
    bureau: str

    @property
    def inbox(self) -> Path:
        return self.root / self.bureau / "inbox"

    @property
    def acknowledgements(self) -> Path:
        return self.root / self.bureau / "acknowledgements"

    def create(self) -> None:
        self.inbox.mkdir(parents=True, exist_ok=True)
        self.acknowledgements.mkdir(parents=True, exist_ok=True)

    def drop(self, name: str, data: bytes) -> None:
        """Put a file in the inbox (atomically)."""
        self.create()
        write_atomically(self.inbox / name, data)


def ack_name(file_name: str) -> str:
    return file_name + ACK_SUFFIX


def write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)
