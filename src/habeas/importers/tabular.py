"""Read a CSV or XLSX file into a header and rows of text, or refuse it whole with one clear reason.

Nothing here knows what the columns mean: `read_table` only guarantees that what it returns is a
rectangular-enough grid of strings with unique column names, so an importer can give each odd value a
per-row answer. Anything that makes the whole file untrustworthy (not CSV/XLSX, undecodable bytes, broken
quoting, no header, duplicate names, missing required columns) raises `ImportFileError` instead.

What is read is bounded before a byte of it is: only a regular file (not /dev/zero, a pipe or a folder, which
have no end or no size), at most `max_bytes` of it (default `DEFAULT_MAX_BYTES`), and a workbook whose parts
unpack to no more than that either. The checks are made on the opened file, so what was checked is what is read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import stat
import zipfile
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

from habeas.domain.errors import HabeasError

__all__ = ["DEFAULT_MAX_BYTES", "ImportFileError", "Table", "TableRow", "read_bounded", "read_table", "require_columns"]

DEFAULT_MAX_BYTES = 100_000_000  # 100 MB: the ICE register of 1,685 facilities is under 1 MB
RAISE_LIMIT = "raise the limit with --max-bytes or HABEAS_IMPORT_MAX_BYTES if the register really is that large"

TableFormat = Literal["csv", "xlsx"]

_UTF8_BOM = b"\xef\xbb\xbf"
_ZIP_MAGIC = b"PK\x03\x04"
# Signatures of files people hand over by mistake; each gets named rather than a puzzling decode error.
_NOT_TABULAR: tuple[tuple[bytes, str], ...] = (
    (b"\xd0\xcf\x11\xe0", "a legacy Excel .xls (OLE) file; save it as .xlsx or 'CSV UTF-8'"),
    (b"\xff\xfe\x00\x00", "UTF-32 text; save it as 'CSV UTF-8'"),
    (b"\x00\x00\xfe\xff", "UTF-32 text; save it as 'CSV UTF-8'"),
    (b"\xff\xfe", "UTF-16 text; save it as 'CSV UTF-8'"),
    (b"\xfe\xff", "UTF-16 text; save it as 'CSV UTF-8'"),
    (b"%PDF", "a PDF document, not CSV or XLSX"),
    (b"\x89PNG", "a PNG image, not CSV or XLSX"),
    (b"GIF8", "a GIF image, not CSV or XLSX"),
    (b"\xff\xd8\xff", "a JPEG image, not CSV or XLSX"),
    (b"\x1f\x8b", "a gzip archive, not CSV or XLSX; decompress it first"),
    (b"\x7fELF", "an executable, not CSV or XLSX"),
)


class ImportFileError(HabeasError):
    """The whole file is refused, nothing from it appended; `reason` says what is wrong and how to fix it."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class TableRow(NamedTuple):
    """One data row. `number` is the spreadsheet row number (the header is row 1), as a person sees it."""

    number: int
    cells: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Table:
    path: Path
    format: TableFormat
    header: tuple[str, ...]
    rows: tuple[TableRow, ...]
    blank_rows: int  # rows with no value in any cell, skipped (spreadsheets often end with some)

    def __len__(self) -> int:
        return len(self.rows)


def read_bounded(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of `path`, a regular file of at most `max_bytes`; `ImportFileError` before reading otherwise."""
    if max_bytes < 1:
        raise ImportFileError(path, f"the size limit must be at least 1 byte, not {max_bytes:,}")
    try:
        # O_NONBLOCK: opening a FIFO no one writes to would otherwise wait forever, before any check could run.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise ImportFileError(path, f"cannot read the file: {e.strerror or e}") from e
    try:
        mode, size = (info := os.fstat(fd)).st_mode, info.st_size
        if stat.S_ISDIR(mode):
            raise ImportFileError(path, "a folder, not a file; name the register file itself")
        if not stat.S_ISREG(mode):
            raise ImportFileError(
                path, "not a regular file (a device, a pipe or a socket has no size to check); save the register "
                "as a file and import that",
            )
        if size > max_bytes:
            raise ImportFileError(path, f"{size:,} bytes, over the limit of {max_bytes:,} bytes; {RAISE_LIMIT}")
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(max_bytes + 1)  # bounded even if the file grows after the check
    except OSError as e:
        raise ImportFileError(path, f"cannot read the file: {e.strerror or e}") from e
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise ImportFileError(path, f"grew past the limit of {max_bytes:,} bytes while being read; {RAISE_LIMIT}")
    return data


def read_table(path: Path, *, required: Collection[str] = (), max_bytes: int = DEFAULT_MAX_BYTES) -> Table:
    """Read `path` as XLSX (judged by content, not name) or as UTF-8 CSV; `ImportFileError` if unfit."""
    data = read_bounded(path, max_bytes)
    if not data.strip() or data.strip() == _UTF8_BOM:
        raise ImportFileError(path, "the file is empty; expected a header row and one row per facility")
    if data.startswith(_ZIP_MAGIC):
        fmt: TableFormat = "xlsx"
        grid = _xlsx_rows(path, data, max_bytes)
    else:
        for magic, what in _NOT_TABULAR:
            if data.startswith(magic):
                raise ImportFileError(path, f"the file is {what}")
        if path.suffix.lower() in {".xlsx", ".xlsm"}:
            raise ImportFileError(path, "the file is named like a workbook but is not an XLSX (zip) file")
        fmt = "csv"
        grid = _csv_rows(path, _decode(path, data))
    return _table(path, fmt, grid, required)


def require_columns(path: Path, header: Collection[str], required: Collection[str]) -> None:
    """Raise `ImportFileError` listing every required column absent from `header`, with hints."""
    missing = [name for name in required if name not in header]
    if not missing:
        return
    folded = {name.casefold(): name for name in header}
    hints = [f"'{folded[m.casefold()]}' differs only in case" for m in missing if m.casefold() in folded]
    if len(header) == 1 and any(sep in next(iter(header)) for sep in ";\t|"):
        hints.append("the header is a single column: is the file delimited by ';' or tabs, not commas?")
    hint = f" ({'; '.join(hints)})" if hints else ""
    names = ", ".join(repr(m) for m in missing)
    raise ImportFileError(path, f"missing required column(s) {names}{hint}; found {len(header)} columns")


def _decode(path: Path, data: bytes) -> str:
    """Decode UTF-8 (dropping a BOM), refusing at the first undecodable or NUL byte, whichever is first."""
    start = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    nul = data.find(b"\x00", start)
    try:
        text = data[start : nul if nul >= 0 else len(data)].decode("utf-8")
    except UnicodeDecodeError as e:
        offset = start + e.start
        raise ImportFileError(
            path,
            f"undecodable byte 0x{data[offset]:02x} at byte offset {offset} (line {_line(data, offset)}): "
            "the file is not UTF-8 text; re-save it as 'CSV UTF-8' or XLSX",
        ) from e
    if nul >= 0:
        raise ImportFileError(
            path, f"NUL byte at byte offset {nul} (line {_line(data, nul)}): this is a binary file, not CSV"
        )
    return text


def _line(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _csv_rows(path: Path, text: str) -> Iterator[list[str]]:
    # strict: broken quoting can shift every later cell into the wrong column, so it refuses the whole file.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        yield from reader
    except csv.Error as e:
        raise ImportFileError(path, f"malformed CSV at line {reader.line_num}: {e}") from e


def _unpacked_size(path: Path, data: bytes) -> int:
    """What a workbook's parts unpack to, as its zip directory declares it (zipfile reads no part past its
    declared size, so this bounds what unpacking can produce: a zip bomb is refused, not inflated)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return sum(info.file_size for info in z.infolist())
    except (zipfile.BadZipFile, ValueError) as e:
        raise ImportFileError(path, f"not a readable XLSX workbook ({type(e).__name__}: {e})") from e


def _xlsx_rows(path: Path, data: bytes, max_bytes: int) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    unpacked = _unpacked_size(path, data)
    if unpacked > max_bytes:
        raise ImportFileError(
            path, f"the workbook unpacks to {unpacked:,} bytes, over the limit of {max_bytes:,} bytes; {RAISE_LIMIT}"
        )
    try:
        # The bytes already read and checked, not the path again: the file may have changed since.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises zip, XML, key and value errors for damaged workbooks
        raise ImportFileError(path, f"not a readable XLSX workbook ({type(e).__name__}: {e})") from e
    try:
        if not workbook.worksheets:
            raise ImportFileError(path, "the workbook has no worksheet")
        # The first worksheet is the register; other sheets (notes, pivots) are not read.
        for values in workbook.worksheets[0].iter_rows(values_only=True):
            yield [_cell_text(value) for value in values]
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise ImportFileError(path, f"not a readable XLSX workbook ({type(e).__name__}: {e})") from e
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    """Render an XLSX cell as the text a CSV export of it would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _table(path: Path, fmt: TableFormat, grid: Iterable[list[str]], required: Collection[str]) -> Table:
    rows = iter(grid)
    raw_header = next(rows, None)
    if raw_header is None or not any(cell.strip() for cell in raw_header):
        raise ImportFileError(path, "the first row is empty; it must be the header row naming each column")
    header = [cell.strip() for cell in raw_header]
    while header and not header[-1]:  # workbooks often carry empty trailing columns
        header.pop()
    unnamed = [i + 1 for i, name in enumerate(header) if not name]
    if unnamed:
        raise ImportFileError(
            path, f"header cell(s) in column(s) {unnamed} have no name; name or delete them"
        )
    duplicates = sorted(name for name, count in Counter(header).items() if count > 1)
    if duplicates:
        raise ImportFileError(
            path, f"duplicate column name(s): {', '.join(repr(d) for d in duplicates)}; rename them"
        )
    require_columns(path, header, required)
    body: list[TableRow] = []
    blank = 0
    for number, cells in enumerate(rows, start=2):
        if any(cell.strip() for cell in cells):
            body.append(TableRow(number, tuple(cells)))
        else:
            blank += 1
    if not body:
        raise ImportFileError(path, "the file has a header but no data rows")
    return Table(path=path, format=fmt, header=tuple(header), rows=tuple(body), blank_rows=blank)
