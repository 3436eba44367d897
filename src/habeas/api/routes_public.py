"""The public locator (no login): where a person is held, or to whom and where they were handed, with a proof.

Two ways to ask, and only these (an exact match each, so near misses learn nothing):
``a_number`` + ``country_of_birth``, or ``given_names`` + ``surnames`` + ``date_of_birth`` + ``country_of_birth``.
Rate-limited per client address; every answer that found someone is written to the access log, the searcher
named by a keyed hash of their address (never the address), readable by oversight only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import StringConstraints, TypeAdapter, ValidationError

from habeas.api.client_address import client_address
from habeas.api.context import state_of
from habeas.api.problems import ApiProblem, FieldProblem
from habeas.api.ratelimit import spend
from habeas.api.schemas_public import LocatorAnswer
from habeas.domain.errors import InvalidField
from habeas.services import access, locator
from habeas.services.access import PERSON

router = APIRouter(tags=["public"])

PARAMETERS = (  # the query the locator reads: name, longest value, what it is
    ("a_number", 40, "e.g. A-123-456-789"),
    ("given_names", 200, "all given names (accents, case and order do not matter)"),
    ("surnames", 200, "all surnames, in any order"),
    ("date_of_birth", 10, "YYYY-MM-DD"),
    ("country_of_birth", 3, "ISO 3166-1 alpha-2 or alpha-3 code, e.g. SV or SLV"),
)
"""Read by the route itself rather than declared as FastAPI parameters: FastAPI's solving of five optional query
parameters and a rate-limit dependency cost a lookup about 0.4 ms of CPU (measured in-process under load, where a
whole `/healthz` request cost about 1 ms). The OpenAPI document and the 422s stay what FastAPI made of the declared
parameters: the same schema (:data:`OPENAPI_PARAMETERS`), the same pydantic errors
(tests/e2e/api/test_locator_speed_api.py holds them to a declared route's)."""

OPENAPI_PARAMETERS = [
    {
        "name": name, "in": "query", "required": False,
        "schema": {
            "anyOf": [{"type": "string", "maxLength": longest}, {"type": "null"}], "description": what,
            "title": name.replace("_", " ").title(),
        },
        "description": what,
    }
    for name, longest, what in PARAMETERS
]
_CHECKS = [
    (name, longest, TypeAdapter(Annotated[str, StringConstraints(max_length=longest)]))
    for name, longest, _ in PARAMETERS
]


def _parameters(request: Request) -> dict[str, str | None]:
    """The query's parameters (the last value of one given twice, as FastAPI takes it); a value too long is a
    validation error with pydantic's own words, as a declared parameter's would be."""
    given = request.query_params
    values: dict[str, str | None] = {}
    errors: list[dict[str, Any]] = []
    for name, longest, check in _CHECKS:
        value = values[name] = given.get(name)
        if value is not None and len(value) > longest:
            try:
                check.validate_python(value)
            except ValidationError as e:
                errors += [{**err, "loc": ("query", name, *err["loc"])} for err in e.errors(include_url=False)]
    if errors:
        raise RequestValidationError(errors)
    return values


def _query(**parameters: str | None) -> locator.LocatorQuery:
    try:
        return locator.query_of(**parameters)
    except InvalidField as e:  # the service names the parameter; here it is a query parameter, so say so
        raise ApiProblem(
            422, "invalid-input", "Invalid input", f"{e.field}: {e.reason}",
            errors=[FieldProblem(detail=e.reason, parameter=e.field)],
        ) from e


@router.get(
    "/public/locator", response_model=LocatorAnswer, openapi_extra={"parameters": OPENAPI_PARAMETERS},
    summary="Find where a person is held (no login)",
)
def locate(request: Request) -> Response:
    """Where the person is held now, by whom and since when, or to whom, where and when they were handed;
    each match with the public leaf it rests on and a tlog-proof. No match answers ``matches: []``, in the same
    shape. Names, birth dates and A-numbers are never in the answer."""
    address = client_address(request)
    # Rate-limited before the parameters are read: malformed requests spend tokens too.
    spend(request, "locator", "the locator", address)
    query = _query(**_parameters(request))
    st = state_of(request)
    result = st.services.locate(query)
    now = st.clock()
    # The searcher under a keyed hash of their address that rotates daily, never the address; and under the
    # agency "public", whose rows only oversight reads (services/access.py).
    searcher = st.services.public_searcher(address, now) if result.matches else ""
    st.services.record_reads([
        access.Read(user_id=searcher, agency_id=access.PUBLIC_AGENCY, action="locate", subject_kind=PERSON,
                    subject_id=proven.located.person_id, request=f"{request.method} {request.url.path}", at=now)
        for proven in result.matches
    ])
    # The bytes FastAPI would send for the response model (the same serializer), made here: FastAPI would first
    # validate the answer again in a trip to the thread pool, which cost a lookup under load a fifth of its time.
    # An answer about a person: no shared cache may keep it.
    return Response(
        LocatorAnswer.of(result).model_dump_json(), media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )
