"""A simulated credit bureau behind a drop folder: deterministic, no network.

Layout (``folders``): ``<root>/<bureau>/inbox/`` receives files; ``process()`` validates each
file not yet answered with the template's own validator (``integrations.crb.validation``)
and writes ``<root>/<bureau>/acknowledgements/<file name>.ack.json``::

    {"file": name, "sha256": hex, "status": "accepted" | "rejected",
     "records": n, "errors": [{"record": 3, "field": "id_number", "reason": "required"}]}

A file whose name is not a template file name is rejected as a whole (record 0). The same
file always gets the same acknowledgement; an answered file is never answered again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from integrations.crb.folders import BureauFolder, ack_name, write_atomically
from integrations.crb.template import file_type_of
from integrations.crb.validation import RecordError, validate_file


class SimulatedBureau:
    def __init__(self, folder: BureauFolder) -> None:
        self._folder = folder
        folder.create()

    def process(self) -> list[str]:
        """Answer every unanswered file of the inbox; returns their names."""
        answered = []
        for path in sorted(self._folder.inbox.iterdir()):
            ack = self._folder.acknowledgements / ack_name(path.name)
            if path.is_file() and not path.name.endswith(".partial") and not ack.exists():
                write_atomically(ack, json.dumps(acknowledge(path), indent=1).encode())
                answered.append(path.name)
        return answered


def acknowledge(path: Path) -> dict[str, object]:
    data = path.read_bytes()
    file_type = file_type_of(path.name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if file_type is None:
        errors = [RecordError(0, "file", "not a template file name")]
    elif text is None:
        errors = [RecordError(0, "file", "not UTF-8")]
    else:
        errors = validate_file(file_type, text)
    return {
        "file": path.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "status": "rejected" if errors else "accepted",
        "records": max(len((text or "").splitlines()) - 1, 0),
        "errors": [{"record": e.record, "field": e.field, "reason": e.reason} for e in errors],
    }
