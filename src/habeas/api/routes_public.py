"""The public locator (no login): where a person is held, or to whom and where they were handed, with a proof.

Two ways to ask, and only these (an exact match each, so near misses learn nothing):
``a_number`` + ``country_of_birth``, or ``given_names`` + ``surnames`` + ``date_of_birth`` + ``country_of_birth``.
Rate-limited per client address; every answer that found someone is written to the access log, the searcher
named by a keyed hash of their address (never the address), readable by oversight only.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from habeas.api.client_address import client_address
from habeas.api.context import state_of
from habeas.api.problems import ApiProblem, FieldProblem
from habeas.api.ratelimit import per_client
from habeas.api.schemas_public import LocatorAnswer
from habeas.domain.errors import InvalidField
from habeas.domain.identity import fold
from habeas.domain.people import normalize_a_number
from habeas.services import access, locator
from habeas.services.access import PERSON

router = APIRouter(tags=["public"])

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
NAME_FORM = ("given_names", "surnames", "date_of_birth")
FORMS = "give a_number and country_of_birth, or given_names, surnames, date_of_birth and country_of_birth"


locator_rate_limit = per_client("locator", "the locator")


def _invalid(parameter: str, detail: str) -> ApiProblem:
    return ApiProblem(
        422, "invalid-input", "Invalid input", f"{parameter}: {detail}",
        errors=[FieldProblem(detail=detail, parameter=parameter)],
    )


def _query(
    *,
    a_number: str | None, given_names: str | None, surnames: str | None, date_of_birth: str | None,
    country_of_birth: str | None,
) -> locator.LocatorQuery:
    name_form = {"given_names": given_names, "surnames": surnames, "date_of_birth": date_of_birth}
    if a_number is not None:
        extra = next((p for p in NAME_FORM if name_form[p] is not None), None)
        if extra is not None:
            raise _invalid(extra, f"not with a_number: {FORMS}")
    elif all(v is None for v in name_form.values()):
        raise _invalid("a_number", FORMS)
    else:
        missing = next((p for p in NAME_FORM if name_form[p] is None), None)
        if missing is not None:
            raise _invalid(missing, f"required with the name form: {FORMS}")
    if country_of_birth is None:
        raise _invalid("country_of_birth", f"required: {FORMS}")
    try:
        country = locator.country_code(country_of_birth)
    except InvalidField as e:
        raise _invalid("country_of_birth", e.reason) from e
    if a_number is not None:
        try:
            normalized = normalize_a_number(a_number)
        except InvalidField as e:
            # The domain names the field as if in a body; here it is a query parameter, so say so.
            raise _invalid("a_number", e.reason) from e
        return locator.ByANumber(a_number=normalized, country_of_birth=country)
    # all three are present: checked above
    assert given_names is not None
    assert surnames is not None
    assert date_of_birth is not None
    if not _DATE.fullmatch(date_of_birth.strip()):
        raise _invalid("date_of_birth", "not a date as YYYY-MM-DD")
    try:
        born = date.fromisoformat(date_of_birth.strip())
    except ValueError as e:
        raise _invalid("date_of_birth", "not a calendar date") from e
    if not fold(given_names) and not fold(surnames):
        raise _invalid("given_names", "given_names and surnames are both empty")
    return locator.ByName(given_names=given_names, surnames=surnames, date_of_birth=born, country_of_birth=country)


@router.get(
    "/public/locator", response_model=LocatorAnswer, dependencies=[Depends(locator_rate_limit)],
    summary="Find where a person is held (no login)",
)
def locate(
    *,
    request: Request,
    response: Response,
    a_number: Annotated[str | None, Query(max_length=40, description="e.g. A-123-456-789")] = None,
    given_names: Annotated[
        str | None, Query(max_length=200, description="all given names, in order (accents and case do not matter)")
    ] = None,
    surnames: Annotated[str | None, Query(max_length=200, description="all surnames, in order")] = None,
    date_of_birth: Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD")] = None,
    country_of_birth: Annotated[
        str | None, Query(max_length=3, description="ISO 3166-1 alpha-2 or alpha-3 code, e.g. SV or SLV")
    ] = None,
) -> LocatorAnswer:
    """Where the person is held now, by whom and since when, or to whom, where and when they were handed;
    each match with the public leaf it rests on and a tlog-proof. No match answers ``matches: []``, in the same
    shape. Names, birth dates and A-numbers are never in the answer."""
    query = _query(
        a_number=a_number, given_names=given_names, surnames=surnames, date_of_birth=date_of_birth,
        country_of_birth=country_of_birth,
    )
    st = state_of(request)
    result = st.services.locate(query)
    now = st.clock()
    # The searcher under a keyed hash of their address that rotates daily, never the address; and under the
    # agency "public", whose rows only oversight reads (services/access.py).
    searcher = st.services.public_searcher(client_address(request), now) if result.matches else ""
    st.services.record_reads([
        access.Read(user_id=searcher, agency_id=access.PUBLIC_AGENCY, action="locate", subject_kind=PERSON,
                    subject_id=proven.located.person_id, request=f"{request.method} {request.url.path}", at=now)
        for proven in result.matches
    ])
    # An answer about a person: no shared cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return LocatorAnswer.of(result)
