"""Errors of the local OpenWhisk controller: each carries its HTTP status and OpenWhisk's message.

A handler raises `ApiError`; the server turns it into `{"error": <message>, "code": <transaction id>}`.
"""

from __future__ import annotations

# OpenWhisk's standard texts (common/scala/.../http/ErrorResponse.scala and akka-http rejections).
RESOURCE_DOES_NOT_EXIST = "The requested resource does not exist."
NOT_AUTHORIZED = "The supplied authentication is not authorized to access this resource."
AUTH_MISSING = "The resource requires authentication, which was not supplied with the request"
AUTH_INVALID = "The supplied authentication is invalid"
ALREADY_EXISTS = "resource already exists"
CONFORMANCE = "Resource by this name exists but is not in this collection."
ENTITY_NAME_ILLEGAL = "The name of the entity contains illegal characters."
NAMESPACE_ILLEGAL = "The namespace contains illegal characters."
PARAMETERS_NOT_ALLOWED = "Request defines parameters that are not allowed (e.g., reserved properties)."
SEQUENCE_TOO_LONG = "Too many actions in the sequence."
SEQUENCE_NO_COMPONENT = "No component specified for the sequence."
SEQUENCE_CYCLIC = "Sequence may not refer to itself."
SEQUENCE_COMPONENT_NOT_FOUND = "Sequence component does not exist."
BINDING_DOES_NOT_EXIST = "Binding references a package that does not exist."
PACKAGE_CANNOT_BECOME_BINDING = "Resource is a package and cannot be converted into a binding."
BINDING_CANNOT_REFERENCE_BINDING = "Cannot bind to another package binding."
NOT_ALLOWED_ON_BINDING = "Operation not permitted on package binding."
DOCS_NOT_ALLOWED_WITH_COUNT = "The parameter 'docs' is not permitted with 'count'."
ACTIVATION_ID_ILLEGAL = "The activation id is not valid."
RESPONSE_NOT_READY = "Response not yet ready."
ERROR_PROCESSING_REQUEST = "There was an error processing your request."
RULE_NEEDS_TRIGGER = "Only rules with existing triggers can be activated"
INTERNAL_ERROR = "The server encountered an internal error. See the platform log for details."


def invalid_timeout(max_ms: int) -> str:
    return f"Timeout must be number of milliseconds up to {max_ms}."


def entity_too_big(field: str, size: int, allowed: int) -> str:
    return f"{field} larger than allowed: {size} > {allowed} bytes."


def malformed(detail: str) -> str:
    return f"The request content was malformed:\n{detail}"


def package_name_reserved(name: str) -> str:
    return f"Package name '{name}' is reserved."


class ApiError(Exception):
    """An HTTP error reply: status, OpenWhisk's message, and optional extra headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(message: str = RESOURCE_DOES_NOT_EXIST) -> ApiError:
    return ApiError(404, message)


def forbidden() -> ApiError:
    return ApiError(403, NOT_AUTHORIZED)


def conflict(message: str = ALREADY_EXISTS) -> ApiError:
    return ApiError(409, message)


def unauthorized(message: str) -> ApiError:
    return ApiError(401, message, {"WWW-Authenticate": 'Basic realm="OpenWhisk secure realm"'})
