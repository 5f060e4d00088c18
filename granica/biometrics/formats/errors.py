"""Errors of the interchange-format readers: every one names the record, field and byte offset."""

from __future__ import annotations

from granica.errors import InputFormatError


class NistFormatError(InputFormatError):
    """An ANSI/NIST-ITL transaction that cannot be read, with where it went wrong."""

    code = "nist_format_error"

    def __init__(
        self,
        problem: str,
        *,
        offset: int | None = None,
        record: int | None = None,
        record_type: int | None = None,
        field: str | None = None,
        hint: str = "check that the file is a complete ANSI/NIST-ITL traditional-encoding "
        "transaction (ask the sender to resend it if it was cut short)",
    ) -> None:
        where = []
        if record is not None:
            where.append(f"record {record}" + (f" (type {record_type})" if record_type else ""))
        if field is not None:
            where.append(f"field {field}")
        if offset is not None:
            where.append(f"byte offset {offset}")
        prefix = ", ".join(where)
        message = f"{prefix}: {problem}; {hint}" if prefix else f"{problem}; {hint}"
        super().__init__(
            message, field=field, offset=offset, record=record, record_type=record_type
        )
        self.problem = problem
        self.offset = offset
        self.record = record
        self.record_type = record_type


class MinutiaeFormatError(InputFormatError):
    """An ISO/IEC 19794-2 or ANSI INCITS 378 minutiae record that cannot be read."""

    code = "minutiae_format_error"

    def __init__(
        self, problem: str, *, offset: int | None = None, field: str | None = None
    ) -> None:
        where = f"byte offset {offset}: " if offset is not None else ""
        what = f"{field}: " if field else ""
        super().__init__(
            f"{where}{what}{problem}; check that the file is a complete ISO/IEC 19794-2 "
            "(2005/2011) or ANSI INCITS 378 (2004/2009) finger minutiae record",
            field=field,
            offset=offset,
        )
        self.offset = offset


class ImageFormatError(InputFormatError):
    """An image (WSQ, PNG, JPEG, JPEG 2000, TIFF, BMP) that cannot be decoded."""

    code = "image_format_error"
