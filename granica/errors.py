"""Domain exceptions shared by every layer.

Each error carries the HTTP status and the CLI exit code it maps to, so the API,
the pages and the command line report the same failure in the same way.
Messages name the field, line, record or file at fault and say what to do next.
"""

from __future__ import annotations

from typing import Any


class GranicaError(Exception):
    """Base of every error Granica raises on purpose."""

    http_status = 400
    exit_code = 2
    code = "error"

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.details:
            out["details"] = self.details
        return out


class ValidationError(GranicaError):
    """Input that breaks a rule: unknown field, missing mandatory value, impossible date."""

    http_status = 422
    code = "validation_error"


class InputFormatError(GranicaError):
    """A file or message that cannot be read: malformed JSON, truncated record, corrupt image."""

    http_status = 400
    code = "input_format_error"


class EmptyNameError(ValidationError):
    """A person name with nothing to compare (empty, whitespace, only punctuation)."""

    code = "empty_name"


class BiometricError(GranicaError):
    """An image or template the biometric engine cannot use (with the reason)."""

    http_status = 422
    code = "biometric_error"


class UnsupportedVersionError(InputFormatError):
    """A template or file written by a newer version than this one understands."""

    code = "unsupported_version"


class TooLargeError(GranicaError):
    """An upload, image or declared length over the configured limit."""

    http_status = 413
    code = "too_large"


class NotFoundError(GranicaError):
    http_status = 404
    exit_code = 4
    code = "not_found"


class ConflictError(GranicaError):
    """A duplicate, or an action the current state does not allow (validating twice)."""

    http_status = 409
    code = "conflict"


class AuthenticationError(GranicaError):
    http_status = 401
    exit_code = 3
    code = "authentication_required"


class PermissionDenied(GranicaError):
    http_status = 403
    exit_code = 3
    code = "permission_denied"


class ServiceUnavailable(GranicaError):
    """A source that is down or too slow (a border check reports it as incomplete)."""

    http_status = 503
    exit_code = 5
    code = "service_unavailable"
