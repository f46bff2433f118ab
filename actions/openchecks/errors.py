"""Errors that carry an HTTP status, a machine code and a sentence a person can act on.

Every failure the deposit API reports is one of these; `api.handle` turns any of them into the JSON reply
`{"error": message, "code": code}` in one place.
"""

from __future__ import annotations


class OpenChecksError(Exception):
    """A failure with an HTTP status, a stable machine-readable `code` and a human `message`."""

    status = 500
    code = "internal"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def to_body(self) -> dict[str, str]:
        """The JSON error body the API returns."""
        return {"error": self.message, "code": self.code}


class BadRequest(OpenChecksError):
    """The request itself is malformed or a field is invalid (400)."""

    status = 400
    code = "bad_request"


class Unauthorized(OpenChecksError):
    """No token, a forged token or an expired token (401)."""

    status = 401
    code = "unauthorized"


class Forbidden(OpenChecksError):
    """A valid token that may not do this (403)."""

    status = 403
    code = "forbidden"


class NotFound(OpenChecksError):
    """No such route or deposit, or one the caller may not see (404)."""

    status = 404
    code = "not_found"


class Conflict(OpenChecksError):
    """The deposit is not in a state that allows this (409)."""

    status = 409
    code = "conflict"


class TooLarge(OpenChecksError):
    """The body or the image is over a size limit (413)."""

    status = 413
    code = "too_large"


class UnsupportedMedia(OpenChecksError):
    """The upload is not a JPEG, PNG or TIFF image, or cannot be decoded (415)."""

    status = 415
    code = "unsupported_media"


class Unprocessable(OpenChecksError):
    """The request is well formed but breaks a business rule, such as a deposit limit (422)."""

    status = 422
    code = "unprocessable"


class ServiceUnavailable(OpenChecksError):
    """A backing service (Cloudant, COS, OpenWhisk) did not answer; retrying later may work (503)."""

    status = 503
    code = "service_unavailable"


class ConfigurationError(OpenChecksError):
    """A required setting is missing or invalid; the message names the setting (500)."""

    status = 500
    code = "misconfigured"
