"""The provider's one error type: an HTTP status and a message a user can act on."""

from __future__ import annotations


class FeedError(Exception):
    """Raised for bad feed parameters or lifecycle requests; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
