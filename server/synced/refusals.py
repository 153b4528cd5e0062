"""The sync engine's refusals in words: unknown entity, field or reference, out of area, deleted, locked."""
from __future__ import annotations

from server.program.field_checks import FieldError


def unknown_entity(field: str) -> FieldError:
    return FieldError(field, "unknown_entity", "ไม่รู้จักชนิดข้อมูลนี้", "Unknown kind of record")


def unknown_field(field: str) -> FieldError:
    return FieldError(field, "invalid", "ไม่รู้จักช่องข้อมูลนี้", "Unknown field")


def unknown_reference(field: str) -> FieldError:
    return FieldError(field, "unknown_reference", "ไม่พบข้อมูลที่อ้างถึง",
                      "The record this refers to does not exist")


def forbidden(field: str) -> FieldError:
    return FieldError(field, "forbidden", "อยู่นอกพื้นที่ที่ท่านรับผิดชอบ", "Outside your area")


def deleted(field: str) -> FieldError:
    return FieldError(field, "deleted", "ข้อมูลนี้ถูกลบแล้ว", "This record has been deleted")


def not_found(field: str) -> FieldError:
    return FieldError(field, "not_found", "ไม่พบข้อมูลนี้บนเซิร์ฟเวอร์", "This record is not on the server")


def immutable(field: str) -> FieldError:
    return FieldError(field, "invalid", "เปลี่ยนค่านี้ไม่ได้หลังบันทึกแล้ว",
                      "This cannot be changed once recorded")


def op_id_taken(field: str) -> FieldError:
    return FieldError(field, "invalid", "รหัสรายการนี้ถูกใช้โดยอุปกรณ์อื่นแล้ว ให้ส่งใหม่ด้วยรหัสใหม่",
                      "This op_id was already used by another device; send the op again with a new op_id")
