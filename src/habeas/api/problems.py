"""The one error envelope: RFC 9457 problem details, for every error the API answers, 404s included.

``type`` is ``urn:habeas:problem:<code>`` with the code of the domain error (``invalid-field``, ``refused``...);
``errors`` lists field pointers into the request body (``#/name/surnames/0``: RFC 6901 in a fragment, as
RFC 9457's examples do) or the query, path or header parameters at fault; the ids an error is about are
extension members (``person_id``, ``record_id``...).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from habeas.domain.authority import Forbidden
from habeas.domain.errors import (
    AlreadyExists,
    DomainError,
    HabeasError,
    InvalidField,
    InvalidStatusChange,
    InvalidTransition,
    PersonWasErased,
    PersonWasMerged,
    Refused,
    UnknownEventType,
    UnknownRecord,
)
from habeas.domain.handoffs import HandoffSignatureInvalid
from habeas.domain.intake import CapacityExceeded, NoUnitAvailable, SeparationUnknown, SeparationViolation
from habeas.domain.invariants import InvariantRefused
from habeas.domain.manifest_state import DepartureBlocked, ManifestTransitionRefused

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("habeas.api")


class FieldProblem(BaseModel):
    detail: str
    pointer: str | None = None  # "#/name/surnames/0", into the request body
    parameter: str | None = None  # a query, path or header parameter


class Problem(BaseModel):
    """RFC 9457 problem details; the ids of the records involved are extension members."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldProblem] | None = None


class ApiProblem(HabeasError):
    """A refusal made by the HTTP layer itself (authentication, scope, idempotency, rate limit)."""

    def __init__(
        self, status: int, code: str, title: str, detail: str, *, headers: dict[str, str] | None = None,
        errors: list[FieldProblem | dict[str, str]] | None = None, **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.headers = headers
        self.errors = [e if isinstance(e, FieldProblem) else FieldProblem(**e) for e in errors or ()]
        self.extensions = extensions


_TITLES = {
    400: "Bad request", 401: "Authentication required", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 406: "Not acceptable", 409: "Conflict", 413: "Payload too large",
    415: "Unsupported media type", 422: "Invalid input", 429: "Too many requests", 500: "Internal error",
    503: "Service unavailable",
}
# Every route answers these with a problem; the OpenAPI document says so, so clients (and schemathesis) know.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": _TITLES[status]}
    for status in (400, 401, 403, 404, 409, 415, 422, 429)
}


# The HTTP status of each error the project raises on purpose. Most specific class first: an error takes the
# status of the first class here it is an instance of.
STATUSES: tuple[tuple[type[HabeasError], int], ...] = (
    (Forbidden, 403),  # who may do what (habeas.services.authority): the role, or the agency's relation
    (InvalidField, 422),
    (HandoffSignatureInvalid, 422),
    (UnknownRecord, 404),
    (AlreadyExists, 409),
    (InvalidTransition, 409),
    (ManifestTransitionRefused, 409),
    (InvalidStatusChange, 409),
    (PersonWasMerged, 409),
    (PersonWasErased, 409),
    (Refused, 409),
    (DepartureBlocked, 409),
    (InvariantRefused, 409),  # a move that would break DESIGN.md's invariants 1, 4 or 5 (services/invariants.py)
    (CapacityExceeded, 409),
    (SeparationViolation, 409),
    (SeparationUnknown, 409),  # like a failed check: what is recorded does not allow it
    (NoUnitAvailable, 409),
    # An entry of a type this code does not know: the request conflicts with a log a newer writer extended.
    (UnknownEventType, 409),
    (DomainError, 400),
)


# Errors of the floors the API may not import (storage), matched by their ``code``.
CODE_STATUSES: dict[str, int] = {
    "storage-conflict": 409,  # a write the database refused as conflicting (a key taken, a race lost)
    "database-unavailable": 503,
}


def is_conflict(error: HabeasError) -> bool:
    """Whether ``error`` refuses a request because of what is already recorded (a domain refusal, or a write
    the database refused as conflicting), as opposed to the server failing."""
    return isinstance(error, DomainError) or getattr(error, "code", None) == "storage-conflict"


def status_of(error: HabeasError) -> int:
    """The HTTP status ``error`` is answered with.

    A plain ``HabeasError`` is a refusal of the request (409). Any other kind the table does not name (a
    damaged log, a storage failure, a bad policy pack) is the server's fault, answered as an unexpected error.
    """
    if isinstance(error, ApiProblem):
        return error.status
    for cls, status in STATUSES:
        if isinstance(error, cls):
            return status
    by_code = CODE_STATUSES.get(str(getattr(error, "code", "")))
    if by_code is not None:
        return by_code
    return 409 if type(error) is HabeasError else 500


def problem_response(
    status: int, code: str, detail: str, *, title: str | None = None, instance: str | None = None,
    errors: list[FieldProblem] | None = None, headers: dict[str, str] | None = None, **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:habeas:problem:{code}",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    if errors:
        body["errors"] = [e.model_dump(exclude_none=True) for e in errors]
    body.update({k: v for k, v in extensions.items() if k not in body})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _ids_of(exc: DomainError) -> dict[str, Any]:
    """The ids a domain error carries, as extension members; never the offending value (it may be personal)."""
    # str(v) turns StrEnum states into their values; tuples of ids stay lists.
    out: dict[str, Any] = {}
    for k, v in vars(exc).items():
        if k == "value" or k.startswith("_"):
            continue
        if isinstance(v, str | int | type(None)):
            out[k] = v if v is None or isinstance(v, int) else str(v)
        elif isinstance(v, tuple | list):
            out[k] = [str(x) for x in v]
    return out


def _pointer(loc: tuple[Any, ...]) -> FieldProblem:
    where, *rest = loc if loc else ("body",)
    if where == "body":
        return FieldProblem(detail="", pointer="#" + "".join(f"/{p}" for p in rest))  # "#": the whole body
    return FieldProblem(detail="", parameter=".".join(str(p) for p in rest) or str(where))


def _message(err: Mapping[str, Any]) -> str:
    """What a validation error says: pydantic's words, except where they would not tell a caller what to do."""
    if err.get("type") == "extra_forbidden":
        return "unknown field: this request has no such field (check its spelling); it is refused, not ignored"
    return str(err.get("msg", "invalid")).removeprefix("Value error, ")


JSON_TYPES = ("application/json",)


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media in JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))


async def require_json(request: Request) -> None:
    """Every request body is JSON: one sent as anything else (text/plain, a form) is a 415 that says what to send,
    before any field is read (the body would otherwise be judged as a string and refused as "not an object").
    Async, so it runs on the event loop rather than costing every request a trip to the thread pool."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    has_body = request.headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in request.headers
    content_type = request.headers.get("content-type", "")
    # No Content-Type is refused too: FastAPI would not read such a body as JSON either (strict_content_type).
    if has_body and not _is_json(content_type):
        sent = content_type.split(";", 1)[0].strip()[:80] or "no Content-Type"
        raise ApiProblem(
            415, "unsupported-media-type", _TITLES[415],
            f"the body was sent as {sent}; send Content-Type: application/json with a JSON object",
            errors=[FieldProblem(detail="send Content-Type: application/json", parameter="Content-Type")],
        )


def install(app: FastAPI) -> None:
    """Route every error through the one envelope."""

    async def domain_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        status = status_of(exc)
        errors = None
        if isinstance(exc, InvalidField):
            # A read has no body: the field the domain names came from the query string.
            if request.method in ("GET", "HEAD"):
                errors = [FieldProblem(detail=exc.reason, parameter=exc.field)]
            else:
                errors = [FieldProblem(detail=exc.reason, pointer=f"#/{exc.field}")]
        return problem_response(
            status, exc.code, str(exc), instance=request.url.path, errors=errors, **_ids_of(exc)
        )

    async def habeas_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HabeasError)
        status = status_of(exc)
        if status == 500:
            return await unexpected(request, exc)
        code = str(getattr(exc, "code", ""))
        return problem_response(
            status, code if code in CODE_STATUSES else "refused", str(exc), instance=request.url.path
        )

    async def api_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiProblem)
        return problem_response(
            exc.status, exc.code, exc.detail, title=exc.title, instance=request.url.path, headers=exc.headers,
            errors=exc.errors, **exc.extensions,
        )

    async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = []
        for err in exc.errors():
            fp = _pointer(tuple(err.get("loc", ())))
            fp.detail = _message(err)
            errors.append(fp)
        first = errors[0] if errors else FieldProblem(detail="invalid request")
        where = first.pointer or first.parameter or "request"
        return problem_response(
            422, "invalid-input", f"{where}: {first.detail}", instance=request.url.path, errors=errors
        )

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "error")
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no resource at {request.url.path}"
        return problem_response(
            exc.status_code, code, detail, instance=request.url.path, headers=getattr(exc, "headers", None)
        )

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # A bug, not bad input: logged with its traceback for the operator, never shown to the caller.
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem_response(500, "internal-error", "an unexpected error; it has been logged", instance=None)

    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(HabeasError, habeas_error)
    app.add_exception_handler(ApiProblem, api_problem)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
