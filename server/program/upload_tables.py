"""Reading the rows of an uploaded CSV or XLSX file within fixed bounds of size, time and memory.

A file from outside is hostile until bounded. An XLSX is a zip of XML parts: openpyxl trusts the
sheet's declared `<dimension>` (and pads every row to it), builds the whole sheet before anyone can
count its rows, and keeps every shared string whatever its size — a 1.6 KB file could take the
server's memory. So the parts are read here with a streaming XML parser straight from the zip:

* the zip's central directory is checked before it is opened (member count), every member's
  declared sizes before it is inflated, and the bytes actually inflated while reading (a member
  that inflates beyond its part's bound, or beyond `MAX_RATIO` times its compressed size, is
  refused — declared sizes are never trusted);
* no DTD or entity declarations are accepted in any part (no entity expansion);
* cells are read where they are, never padded to a declared dimension: rows are sparse, and only
  the header's columns are kept for the data rows;
* reading stops at the row limit (one row more tells that the file is too long), at a cell longer
  than `MAX_CELL_CHARS`, at too many shared strings, and at the `MAX_SECONDS` deadline;
* `reading_slot()` lets `MAX_CONCURRENT` uploads be read at once in a process; the next is told to
  try again in a moment.

CSV is decoded from UTF-8 (with or without a byte-order mark), UTF-16 (with a mark, or without one
when its zero bytes tell which order) or Thai TIS-620/cp874; line ends may be CRLF, LF or a lone CR
(Excel's "CSV (Macintosh)").
"""
from __future__ import annotations

import codecs
import csv
import io
import posixpath
import re
import struct
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

from server.core.i18n import gettext_

MAX_FILE_BYTES = 6 * 1024 * 1024  # the request limit of the app; an upload never exceeds it
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
MAX_CSV_FIELD = 128 * 1024  # the csv module's field limit, kept: a longer field is refused before it grows
MAX_ZIP_MEMBERS = 1000
MAX_PART_BYTES = 16 * 1024 * 1024  # inflated size of the sheet or the shared strings read
MAX_SMALL_PART_BYTES = 1024 * 1024  # the workbook and its relationships
MAX_RATIO = 200  # inflated bytes per compressed byte beyond which a part is a zip bomb, not a sheet
RATIO_GRACE_BYTES = 2 * 1024 * 1024  # below this, any ratio is fine (a tiny part compresses well)
MAX_SHARED_STRINGS = 200_000
MAX_SHARED_CHARS = 4_000_000
MAX_HEADER_CELLS = 200
MAX_COLUMN = 16_384  # XFD, the last column Excel has
MAX_SECONDS = 20.0
MAX_CONCURRENT = 2
FEED_BYTES = 64 * 1024

_NS_SEP = "}"


class TableError(ValueError):
    """The file cannot be read within the bounds; the message says why in the user's language."""


class TableBusy(RuntimeError):
    """Every reading slot of this process is taken: try again in a moment."""


@dataclass
class Table:
    """The header row's cells (by column position) and the data rows' cells at those positions."""
    header: dict[int, str]
    rows: list[dict[int, str]]


_slots = threading.BoundedSemaphore(MAX_CONCURRENT)


@contextmanager
def reading_slot() -> Iterator[None]:
    """Hold one of the process's reading slots, or raise TableBusy at once (never queue: a queued
    upload holds its body in memory and a request thread while it waits)."""
    if not _slots.acquire(blocking=False):
        raise TableBusy(gettext_("Other files are being read right now. Please try again in a moment."))
    try:
        yield
    finally:
        _slots.release()


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.until = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.until:
            raise TableError(gettext_("Reading the file took too long. Split it into smaller files and "
                                      "upload them one at a time."))


def _too_long_cell() -> TableError:
    return TableError(gettext_("A cell holds more than {n} characters. Check the file: it may not be a "
                               "household list.").format(n=f"{MAX_CELL_CHARS:,}"))


def _too_many_rows(max_rows: int) -> TableError:
    return TableError(gettext_("At most {n} rows can be imported at once.").format(n=max_rows))


def _damaged() -> TableError:
    return TableError(gettext_("The file could not be read as an Excel workbook."))


def read_table(filename: str, content: bytes, *, max_rows: int, pick: Callable[[dict[int, str]], set[int]],
               seconds: float = MAX_SECONDS) -> Table:
    """The first non-empty row (the header) and at most `max_rows` non-empty rows after it, each cut
    to the columns `pick(header)` names. Raises TableError with a message for the user."""
    if len(content) > MAX_FILE_BYTES:
        raise TableError(gettext_("The file is too large: at most {size} MB can be uploaded at once.")
                         .format(size=MAX_FILE_BYTES // (1024 * 1024)))
    name = (filename or "").lower()
    deadline = _Deadline(seconds)
    if name.endswith(".xlsx"):
        return _collect(_xlsx_rows(content, deadline), max_rows, pick, deadline)
    if name.endswith(".csv"):
        return _collect(_csv_rows(content, deadline), max_rows, pick, deadline)
    raise TableError(gettext_("Upload a .csv or .xlsx file."))


def _collect(source: Iterator[tuple[dict[int, str], bool]], max_rows: int,
             pick: Callable[[dict[int, str]], set[int]], deadline: _Deadline) -> Table:
    """Rows from `source` (cells by position, whether the row has any value at all) up to the limit.

    `source` is a generator: it is sent the set of wanted columns after the header, so it may drop the
    other cells of a data row as it reads them."""
    header: dict[int, str] | None = None
    rows: list[dict[int, str]] = []
    wanted: set[int] | None = None
    try:
        cells, filled = next(source)
        while True:
            deadline.check()
            if filled:
                if header is None:
                    header = cells
                    wanted = pick(header)
                else:
                    if len(rows) >= max_rows:
                        raise _too_many_rows(max_rows)
                    rows.append({i: v for i, v in cells.items() if i in wanted})  # type: ignore[operator]
            cells, filled = source.send(wanted)
    except StopIteration:
        pass
    finally:
        source.close()
    if header is None:
        raise TableError(gettext_("The file is empty."))
    return Table(header=header, rows=rows)


# --- CSV -----------------------------------------------------------------------------------------

# A Thai vowel or tone mark written above or below must follow a Thai letter (or another mark). Raw
# strings: the pattern names the code points, the source holds no Thai.
_STRAY_THAI_MARK = re.compile(r"(?<![\u0e01-\u0e4e])[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]")


def _looks_thai(text: str) -> bool:
    """True when no Thai vowel or tone mark stands after a non-Thai letter: what cp874 gives for a
    file in another 8-bit encoding (latin-1: "café" reads as "caf" + a tone mark)."""
    return _STRAY_THAI_MARK.search(text) is None


def _utf16_order(content: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' for text without a byte-order mark whose zero bytes say so (the high
    byte of ASCII and of Thai — 0x0E — is never the same as the low byte's), else None."""
    sample = content[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    odd_zeros = sample[1::2].count(0)
    even_zeros = sample[0::2].count(0)
    half = len(sample) // 2
    if odd_zeros > half * 0.3 and even_zeros == 0:
        return "utf-16-le"
    if even_zeros > half * 0.3 and odd_zeros == 0:
        return "utf-16-be"
    return None


def decode_csv(content: bytes) -> str:
    """The text of a CSV file in any encoding it is likely to come in, or TableError."""
    bad = TableError(gettext_("The CSV file is not in UTF-8, UTF-16 or Thai (TIS-620) encoding. Save it "
                              "from Excel as \"CSV UTF-8\" and upload it again."))
    for mark, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                           (codecs.BOM_UTF16_BE, "utf-16-be")):
        if content.startswith(mark):
            try:
                return content[len(mark):].decode(encoding)
            except UnicodeDecodeError:
                raise bad from None
    order = _utf16_order(content)
    if order:
        try:
            return content.decode(order)
        except UnicodeDecodeError:
            raise bad from None
    if b"\x00" in content:
        raise bad
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = content.decode("cp874")
    except UnicodeDecodeError:
        raise bad from None
    if not _looks_thai(text):
        raise bad
    return text


def _csv_rows(content: bytes, deadline: _Deadline) -> Iterator[tuple[dict[int, str], bool]]:
    text = decode_csv(content)
    # newline="": the reader sees the line ends as they are, so CRLF, LF and a lone CR all end a row
    # (and a line break inside a quoted cell stays in the cell).
    reader = csv.reader(io.StringIO(text, newline=""))
    wanted: set[int] | None = None
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise _too_long_cell() from None
            raise TableError(gettext_("The CSV file could not be read (line {line}). Save it from Excel as "
                                      "\"CSV UTF-8\" and upload it again.").format(line=reader.line_num)) from None
        deadline.check()
        filled = False
        cells: dict[int, str] = {}
        for index, value in enumerate(row):
            value = value.strip()
            if not value:
                continue
            if len(value) > MAX_CELL_CHARS:
                raise _too_long_cell()
            filled = True
            if wanted is None:
                if len(cells) >= MAX_HEADER_CELLS:
                    raise _too_many_columns()
                cells[index] = value
            elif index in wanted:
                cells[index] = value
        wanted = (yield cells, filled)


def _too_many_columns() -> TableError:
    return TableError(gettext_("The header row has more than {n} columns. Check the file: it may not be a "
                               "household list.").format(n=MAX_HEADER_CELLS))


# --- XLSX ----------------------------------------------------------------------------------------

def _member_count(content: bytes) -> int:
    """The number of members the zip's end record declares (read before zipfile builds its directory
    in memory), or raise TableError when there is no such record."""
    tail = content[-(65536 + 22):]
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise _damaged()
    total = struct.unpack("<H", tail[at + 10:at + 12])[0]
    return total


class _BoundedPart:
    """A zip member read as it is inflated, counting the bytes that actually come out."""

    def __init__(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> None:
        self.archive, self.info = archive, info
        self.limit = limit
        self.ratio_limit = max(RATIO_GRACE_BYTES, MAX_RATIO * max(info.compress_size, 1))
        self.read_bytes = 0

    def chunks(self, deadline: _Deadline) -> Iterator[bytes]:
        stream = None
        try:
            stream = self.archive.open(self.info)
            while True:
                deadline.check()
                chunk = stream.read(FEED_BYTES)
                if not chunk:
                    return
                self.read_bytes += len(chunk)
                if self.read_bytes > self.ratio_limit:
                    raise TableError(gettext_("The file is compressed in a suspicious way and was not read."))
                if self.read_bytes > self.limit:
                    raise _too_large_sheet()
                yield chunk
        except TableError:
            raise
        # zipfile answers a compression method it does not know with NotImplementedError.
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError, RuntimeError):
            raise _damaged() from None  # a damaged, encrypted or oddly compressed member
        finally:
            if stream is not None:
                stream.close()


def _too_large_sheet() -> TableError:
    return TableError(gettext_("The sheet is too large to import. Keep only the household list in the "
                               "first sheet and upload it again."))


class _Parser:
    """A streaming expat parser that refuses DTDs and entities, with namespaces stripped from names."""

    def __init__(self) -> None:
        self.parser = expat.ParserCreate(namespace_separator=_NS_SEP)
        self.parser.buffer_text = True
        self.parser.StartDoctypeDeclHandler = self._refuse
        self.parser.EntityDeclHandler = self._refuse
        self.parser.StartElementHandler = lambda name, attrs: self.start(_local(name), attrs)
        self.parser.EndElementHandler = lambda name: self.end(_local(name))
        self.parser.CharacterDataHandler = self.text

    def _refuse(self, *_args: Any) -> None:
        raise _damaged()

    def start(self, name: str, attrs: dict[str, str]) -> None:
        pass

    def end(self, name: str) -> None:
        pass

    def text(self, data: str) -> None:
        pass

    def feed(self, chunk: bytes, final: bool = False) -> None:
        try:
            self.parser.Parse(chunk, final)
        except expat.ExpatError:
            raise _damaged() from None


def _local(name: str) -> str:
    return name.rsplit(_NS_SEP, 1)[-1]


class _Attributes(_Parser):
    """Every element's attributes by local name, in document order (workbook.xml, its rels)."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if len(self.elements) < 10_000:
            self.elements.append((name, attrs))


class _SharedStrings(_Parser):
    def __init__(self) -> None:
        super().__init__()
        self.strings: list[str] = []
        self.total = 0
        self.parts: list[str] = []
        self.size = 0
        self.in_t = False
        self.in_phonetic = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "si":
            self.parts, self.size = [], 0
        elif name == "rPh":  # the reading aid of East Asian text: not part of the value
            self.in_phonetic += 1
        elif name == "t" and not self.in_phonetic:
            self.in_t = True

    def end(self, name: str) -> None:
        if name == "t":
            self.in_t = False
        elif name == "rPh":
            self.in_phonetic -= 1
        elif name == "si":
            if len(self.strings) >= MAX_SHARED_STRINGS or self.total > MAX_SHARED_CHARS:
                raise _too_large_sheet()
            self.strings.append("".join(self.parts))

    def text(self, data: str) -> None:
        if self.in_t:
            self.size += len(data)
            self.total += len(data)
            if self.size > MAX_CELL_CHARS:
                raise _too_long_cell()
            self.parts.append(data)


class _Sheet(_Parser):
    """Cells of a worksheet as they come: each finished row is queued for the generator."""

    def __init__(self, shared: list[str]) -> None:
        super().__init__()
        self.shared = shared
        self.ready: list[tuple[dict[int, str], bool]] = []
        self.wanted: set[int] | None = None
        self.header_seen = False
        self.cells: dict[int, str] = {}
        self.filled = False
        self.column = 0
        self.kind = ""
        self.value: list[str] = []
        self.value_size = 0
        self.in_value = False
        self.in_phonetic = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "row":
            self.cells, self.filled, self.column = {}, False, 0
        elif name == "c":
            ref = attrs.get("r")
            self.column = _column_of(ref) if ref else self.column + 1
            self.kind = attrs.get("t", "n")
            self.value, self.value_size = [], 0
        elif name == "rPh":
            self.in_phonetic += 1
        elif name == "v" or (name == "t" and self.kind == "inlineStr" and not self.in_phonetic):
            self.in_value = True

    def text(self, data: str) -> None:
        if self.in_value:
            self.value_size += len(data)
            if self.value_size > MAX_CELL_CHARS:
                raise _too_long_cell()
            self.value.append(data)

    def end(self, name: str) -> None:
        if name in ("v", "t"):
            self.in_value = False
        elif name == "rPh":
            self.in_phonetic -= 1
        elif name == "c":
            value = self._cell_value()
            if not value:
                return
            self.filled = True
            if self.wanted is None:
                # Rows read in the same chunk as the header are kept whole (the chunk bounds them);
                # only the header itself is bounded in columns.
                if not self.header_seen and len(self.cells) >= MAX_HEADER_CELLS:
                    raise _too_many_columns()
                self.cells[self.column] = value
            elif self.column in self.wanted:
                self.cells[self.column] = value
        elif name == "row":
            self.ready.append((self.cells, self.filled))
            self.header_seen = self.header_seen or self.filled

    def _cell_value(self) -> str:
        text = "".join(self.value)
        if self.kind == "s":
            try:
                return self.shared[int(text)].strip()
            except (ValueError, IndexError):
                raise _damaged() from None
        if self.kind in ("inlineStr", "str", "e"):
            return text.strip()
        if self.kind == "b":
            return "TRUE" if text.strip() == "1" else "FALSE" if text.strip() == "0" else ""
        return _number_text(text.strip())


def _number_text(text: str) -> str:
    """A number cell as openpyxl reads it and the importer wrote it before: 45000.0 is "45000"."""
    if not text or not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
        return text
    if re.fullmatch(r"[+-]?\d+", text):
        return str(int(text))
    number = float(text)
    return str(int(number)) if number.is_integer() and abs(number) < 1e18 else str(number)


def _column_of(ref: str) -> int:
    """The 1-based column of a cell reference ("XFD1048576" is 16384); bounded by Excel's last."""
    column = 0
    for char in ref:
        if "A" <= char <= "Z":
            column = column * 26 + ord(char) - 64
            if column > MAX_COLUMN:
                raise _damaged()
        elif "a" <= char <= "z":
            column = column * 26 + ord(char) - 96
            if column > MAX_COLUMN:
                raise _damaged()
        else:
            break
    if column == 0:
        raise _damaged()
    return column


def _part_path(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _read_small(archive: zipfile.ZipFile, path: str, deadline: _Deadline) -> _Attributes | None:
    info = _member(archive, path, MAX_SMALL_PART_BYTES)
    if info is None:
        return None
    parser = _Attributes()
    for chunk in _BoundedPart(archive, info, MAX_SMALL_PART_BYTES).chunks(deadline):
        parser.feed(chunk)
    parser.feed(b"", True)
    return parser


def _member(archive: zipfile.ZipFile, path: str, limit: int | None) -> zipfile.ZipInfo | None:
    """The member at `path` if its declared sizes are within bounds (`limit`: None for a part read only
    as far as needed, whose declared sizes do not matter). The bytes actually inflated are counted
    again as they are read."""
    try:
        info = archive.getinfo(path)
    except KeyError:
        return None
    if limit is None:
        return info
    if info.file_size > limit:
        raise _too_large_sheet()
    if info.file_size > RATIO_GRACE_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise TableError(gettext_("The file is compressed in a suspicious way and was not read."))
    return info


def _first_sheet(archive: zipfile.ZipFile, deadline: _Deadline) -> tuple[str, str | None]:
    """The path of the workbook's first sheet and of its shared strings (if it has them)."""
    root = _read_small(archive, "_rels/.rels", deadline)
    workbook = next((_part_path("", a.get("Target", "")) for n, a in (root.elements if root else [])
                     if n == "Relationship" and a.get("Type", "").endswith("/officeDocument")), "xl/workbook.xml")
    book = _read_small(archive, workbook, deadline)
    rels = _read_small(archive, _rels_path(workbook), deadline)
    if book is None or rels is None:
        raise TableError(gettext_("The workbook has no sheet to read."))
    targets = {a.get("Id"): a for n, a in rels.elements if n == "Relationship"}
    # The first sheet's relationship id: r:id, in the transitional or the strict namespace.
    first = next((next((v for k, v in a.items() if k.endswith(_NS_SEP + "id")), None)
                  for n, a in book.elements if n == "sheet"), None)
    sheet = targets.get(first)
    if sheet is None or not sheet.get("Target"):
        raise TableError(gettext_("The workbook has no sheet to read."))
    shared = next((a.get("Target") for a in targets.values()
                   if a.get("Type", "").endswith("/sharedStrings") and a.get("Target")), None)
    return (_part_path(workbook, sheet["Target"]),
            _part_path(workbook, shared) if shared else None)


def _xlsx_rows(content: bytes, deadline: _Deadline) -> Iterator[tuple[dict[int, str], bool]]:
    if _member_count(content) > MAX_ZIP_MEMBERS:
        raise _damaged()
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    # zipfile answers a compression method it does not know with NotImplementedError.
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise _damaged() from None
    with archive:
        if len(archive.infolist()) > MAX_ZIP_MEMBERS:
            raise _damaged()
        sheet_path, shared_path = _first_sheet(archive, deadline)
        shared: list[str] = []
        if shared_path:
            info = _member(archive, shared_path, MAX_PART_BYTES)
            if info is not None:
                strings = _SharedStrings()
                for chunk in _BoundedPart(archive, info, MAX_PART_BYTES).chunks(deadline):
                    strings.feed(chunk)
                strings.feed(b"", True)
                shared = strings.strings
        # Its declared size is not held against it: reading stops at the row limit, and the bytes it
        # takes to get there are bounded as they are inflated.
        info = _member(archive, sheet_path, None)
        if info is None:
            raise TableError(gettext_("The workbook has no sheet to read."))
        sheet = _Sheet(shared)
        for chunk in _BoundedPart(archive, info, MAX_PART_BYTES).chunks(deadline):
            sheet.feed(chunk)
            # The rows this chunk finished go on before the next chunk is read: the reading stops
            # at the row limit however long the sheet is, and after the header only its columns
            # are kept.
            yield from _hand_on(sheet)
        sheet.feed(b"", True)
        yield from _hand_on(sheet)


def _hand_on(sheet: "_Sheet") -> Iterator[tuple[dict[int, str], bool]]:
    ready, sheet.ready = sheet.ready, []
    for row in ready:
        wanted = yield row
        if wanted is not None:
            sheet.wanted = wanted
