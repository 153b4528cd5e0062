"""The sync engine's refusals in words: unknown entity, field or reference, out of area, deleted, locked."""
from __future__ import annotations

from server.program.field_checks import FieldError, refusal


def unknown_entity(field: str) -> FieldError:
    return refusal(field, 'unknown_entity', 'Unknown kind of record')


def unknown_field(field: str) -> FieldError:
    return refusal(field, 'invalid', 'Unknown field')


def unknown_reference(field: str) -> FieldError:
    return refusal(field, 'unknown_reference', 'The record this refers to does not exist')


def forbidden(field: str) -> FieldError:
    return refusal(field, 'forbidden', 'Outside your area')


def deleted(field: str) -> FieldError:
    return refusal(field, 'deleted', 'This record has been deleted')


def not_found(field: str) -> FieldError:
    return refusal(field, 'not_found', 'This record is not on the server')


def immutable(field: str) -> FieldError:
    return refusal(field, 'invalid', 'This cannot be changed once recorded')


def op_id_taken(field: str) -> FieldError:
    """An op_id already used by another user's device, or for another op (other content)."""
    return refusal(field, "invalid", "This op_id was already used for another op; send the op again with a new op_id")


def unknown_trade(field: str) -> FieldError:
    return refusal(field, "unknown_reference", "Not a trade of the configured list: choose one from the list")
