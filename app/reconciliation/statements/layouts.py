"""Which reader a statement file gets: its provider's, told by the uploader.

The first rows are looked at before reading: a file whose header is the OTHER provider's
layout (an Airtel export uploaded as M-Pesa, or the reverse) is refused at once, naming the
header's line, so a wrong choice is a clear 422 and never an odd import.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from typing import IO, Protocol

from app.reconciliation.statements import airtel, cells
from app.reconciliation.statements.airtel import AirtelStatementReader
from app.reconciliation.statements.reader import (
    MAX_HEADER_SEARCH_ROWS,
    ParsedLine,
    Preamble,
    Row,
    StatementReader,
    StatementRejected,
    open_rows,
)
from integrations.payments.networks import Network, wallet_name


class LayoutReader(Protocol):
    preamble: Preamble

    def lines(self) -> Iterator[ParsedLine]: ...

    def read_after(self) -> Preamble: ...


def _layout_of(row: Row) -> Network | None:
    if airtel.is_header(row):
        return Network.AIRTEL
    if "receipt" in {cells.header_field(cell) for cell in row}:
        return Network.SAFARICOM
    return None


def _sniffed(rows: Iterator[tuple[int, Row]], network: Network) -> Iterator[tuple[int, Row]]:
    """``rows`` unchanged, after refusing a header of the other provider's layout."""
    head: list[tuple[int, Row]] = []
    for line_no, row in rows:
        head.append((line_no, row))
        layout = _layout_of(row)
        if layout is not None and layout != network:
            raise StatementRejected(
                line_no,
                f"the header is an {wallet_name(layout)} statement's, uploaded as "
                f"{wallet_name(network)}: upload it with provider {layout.value}",
            )
        if layout is not None or len(head) >= MAX_HEADER_SEARCH_ROWS:
            break
    return chain(head, rows)


def open_reader(stream: IO[bytes], network: str) -> tuple[str, LayoutReader]:
    """The file's format (csv or xlsx) and a reader for ``network``'s layout (the stream at
    its start); raises ``StatementRejected`` for a file in the other provider's layout."""
    provider = Network(network)
    file_format, rows = open_rows(stream)
    checked = _sniffed(rows, provider)
    if provider == Network.AIRTEL:
        return file_format, AirtelStatementReader(checked)
    return file_format, StatementReader(checked)
