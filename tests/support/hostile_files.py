"""Hostile and careless upload files, generated on the spot: workbooks built part by part (so they can
declare what they like), zip bombs, and CSV files in the encodings and line ends people send."""
from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable, Iterable

HEADER = ["village_code", "house_no", "head_name", "citizen_id", "members", "annual_income"]
GOOD_ROW = ["34140101", "7/1", "นางสาวดี ทดสอบ", "", "3", "45000"]

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '{shared}</Types>')
_SHARED_TYPE = ('<Override PartName="/xl/sharedStrings.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="households" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/>{shared}</Relationships>')
_SHARED_REL = ('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
               'sharedStrings" Target="sharedStrings.xml"/>')
_SHEET_OPEN = ('<?xml version="1.0" encoding="UTF-8"?>'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')

Chunks = Callable[[], Iterable[bytes]]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _column(n: int) -> str:
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def row_xml(number: int, values: list[str], *, first_column: int = 1) -> str:
    cells = "".join(f'<c r="{_column(first_column + i)}{number}" t="inlineStr"><is><t>{_escape(v)}</t></is></c>'
                    for i, v in enumerate(values) if v != "")
    return f'<row r="{number}">{cells}</row>'


def workbook(sheet: str | Chunks | None, *, shared: str | Chunks | None = None,
             workbook_xml: str | None = _WORKBOOK) -> bytes:
    """An XLSX built part by part; a part given as a function of chunks is written as it comes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES.format(shared=_SHARED_TYPE if shared else ""))
        archive.writestr("_rels/.rels", _ROOT_RELS)
        if workbook_xml is not None:
            archive.writestr("xl/workbook.xml", workbook_xml)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(shared=_SHARED_REL if shared else ""))
        for name, part in (("xl/worksheets/sheet1.xml", sheet), ("xl/sharedStrings.xml", shared)):
            if part is None:
                continue
            if isinstance(part, str):
                archive.writestr(name, part)
                continue
            with archive.open(name, "w", force_zip64=False) as stream:
                for chunk in part():
                    stream.write(chunk)
    return out.getvalue()


def plain_sheet(rows: list[list[str]]) -> str:
    return (_SHEET_OPEN + "<sheetData>" + "".join(row_xml(n, r) for n, r in enumerate(rows, start=1))
            + "</sheetData></worksheet>")


def dimension_bomb() -> bytes:
    """A sheet that declares A1:XFD1048576 and holds a header, one row, and one cell at its far corner."""
    return workbook(_SHEET_OPEN + '<dimension ref="A1:XFD1048576"/><sheetData>' + row_xml(1, HEADER)
                    + row_xml(2, GOOD_ROW) + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
                    + "</sheetData></worksheet>")


def shared_string_bomb(size: int = 256 * 1024 * 1024) -> bytes:
    """One shared string of `size` characters (a quarter of a gigabyte by default), about 250 KB
    zipped, used by the header row's first cell."""
    def shared() -> Iterable[bytes]:
        yield b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/' \
              b'spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>'
        block = b"A" * (1024 * 1024)
        for _ in range(size // len(block)):
            yield block
        yield b"</t></si></sst>"
    sheet = (_SHEET_OPEN + '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>')
    return workbook(sheet, shared=shared)


def million_rows(count: int = 1_000_000) -> bytes:
    """A sheet of a header and `count` rows (about 2.6 MB zipped)."""
    def sheet() -> Iterable[bytes]:
        yield (_SHEET_OPEN + "<sheetData>" + row_xml(1, HEADER)).encode()
        batch = []
        for n in range(2, count + 2):
            batch.append(f'<row r="{n}"><c><v>34140101</v></c><c><v>{n % 100}</v></c></row>')
            if len(batch) == 10_000:
                yield "".join(batch).encode()
                batch = []
        yield ("".join(batch) + "</sheetData></worksheet>").encode()
    return workbook(sheet)


def zip_bomb(size: int = 256 * 1024 * 1024) -> bytes:
    """A sheet part that inflates to `size` bytes (a quarter of a gigabyte by default) of blank space
    inside the sheet's XML, about 250 KB zipped."""
    def sheet() -> Iterable[bytes]:
        yield (_SHEET_OPEN + "<sheetData>" + row_xml(1, HEADER)).encode()
        block = b" " * (1024 * 1024)
        for _ in range(size // len(block)):
            yield block
        yield b"</sheetData></worksheet>"
    return workbook(sheet)


def lying_sizes() -> bytes:
    """A zip bomb whose directory and local header declare its sheet a hundred bytes long."""
    content = bytearray(zip_bomb(64 * 1024 * 1024))
    name = b"xl/worksheets/sheet1.xml"
    for signature, size_at, name_at in ((b"PK\x01\x02", 24, 46), (b"PK\x03\x04", 22, 30)):
        at = content.find(signature)
        while at >= 0:
            length = struct.unpack("<H", content[at + name_at - 18:at + name_at - 16])[0]
            if bytes(content[at + name_at:at + name_at + length]) == name:
                content[at + size_at:at + size_at + 4] = struct.pack("<I", 100)
            at = content.find(signature, at + 4)
    return bytes(content)


def broken_xml() -> bytes:
    """A sheet whose XML breaks after its first rows (a mismatched tag), then ends early."""
    return workbook(_SHEET_OPEN + '<dimension ref="A1:F3"/><sheetData>' + row_xml(1, HEADER) + row_xml(2, GOOD_ROW)
                    + '<row r="3"><c r="A3"><v>1</v></row></c>')


def missing_sheet() -> bytes:
    return workbook(None)


def missing_workbook() -> bytes:
    return workbook(plain_sheet([HEADER, GOOD_ROW]), workbook_xml=None)


def entity_expansion() -> bytes:
    """The "billion laughs": entities declared in a DTD that expand to gigabytes."""
    laughs = '<!DOCTYPE w [<!ENTITY a "' + "x" * 100 + '">' + "".join(
        f'<!ENTITY {chr(98 + i)} "' + f"&{chr(97 + i)};" * 10 + '">' for i in range(8)) + "]>"
    return workbook('<?xml version="1.0"?>' + laughs + _SHEET_OPEN[len('<?xml version="1.0" encoding="UTF-8"?>'):]
                    + '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&i;</t></is></c></row>'
                    + "</sheetData></worksheet>")


def not_a_zip() -> bytes:
    return b"PK\x03\x04 this is not really a workbook " * 50


def csv_text(rows: list[list[str]], newline: str = "\r\n") -> str:
    return "".join(",".join(r) + newline for r in rows)


def utf16le_without_bom() -> bytes:
    return csv_text([HEADER, GOOD_ROW]).encode("utf-16-le")


def tis620() -> bytes:
    return csv_text([HEADER, GOOD_ROW]).encode("cp874")


def latin1() -> bytes:
    return csv_text([HEADER, ["34140101", "7/1", "Renée Müller", "", "3", "45000"]]).encode("latin-1")


def cr_only() -> bytes:
    return csv_text([HEADER, GOOD_ROW, [*GOOD_ROW[:1], "7/2", *GOOD_ROW[2:]]], newline="\r").encode("utf-8")


def huge_csv_field() -> bytes:
    return csv_text([HEADER, [*GOOD_ROW[:5], "4" * (200 * 1024)]]).encode()


# The files meant to take a server's memory or time, by name.
BOMBS: dict[str, Callable[[], bytes]] = {
    "dimension bomb": dimension_bomb,
    "shared-string bomb": shared_string_bomb,
    "1M rows": million_rows,
    "zip bomb": zip_bomb,
}
