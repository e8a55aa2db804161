"""API errors as Kubernetes `Status` objects."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error the API answers with a `Status` object and an HTTP code."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details or {}

    def status(self) -> dict[str, Any]:
        """The `Status` body a real API server sends for this error."""
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


def not_found(resource: str, name: str, group: str = "") -> ApiError:
    """404 for a named object, worded as the real server words it."""
    qualified = f"{resource}.{group}" if group else resource
    return ApiError(
        404,
        "NotFound",
        f'{qualified} "{name}" not found',
        {"name": name, "group": group, "kind": resource},
    )


def already_exists(resource: str, name: str, group: str = "") -> ApiError:
    """409 for a create of a name that is taken."""
    qualified = f"{resource}.{group}" if group else resource
    return ApiError(
        409,
        "AlreadyExists",
        f'{qualified} "{name}" already exists',
        {"name": name, "group": group, "kind": resource},
    )


def conflict(resource: str, name: str, group: str = "") -> ApiError:
    """409 for an update against a stale resourceVersion."""
    qualified = f"{resource}.{group}" if group else resource
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {qualified} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        {"name": name, "group": group, "kind": resource},
    )


def invalid(kind: str, name: str, message: str, causes: list[dict[str, str]] | None = None) -> ApiError:
    """422 for an object that fails validation."""
    return ApiError(
        422,
        "Invalid",
        f'{kind} "{name}" is invalid: {message}',
        {"name": name, "kind": kind, "causes": causes or []},
    )


def expired(resource_version: int, oldest: int) -> ApiError:
    """410 for a watch from a resourceVersion the history no longer holds."""
    return ApiError(
        410,
        "Expired",
        f"too old resource version: {resource_version} ({oldest})",
    )


def bad_request(message: str) -> ApiError:
    """400 for a malformed request."""
    return ApiError(400, "BadRequest", message)
