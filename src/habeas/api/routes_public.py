"""The public locator (no login): where a person is held, or to whom and where they were handed, with a proof.

Two ways to ask, and only these (an exact match each, so near misses learn nothing):
``a_number`` + ``country_of_birth``, or ``given_names`` + ``surnames`` + ``date_of_birth`` + ``country_of_birth``.
Rate-limited per client address; every answer that found someone is written to the access log, the searcher
named by a keyed hash of their address (never the address), readable by oversight only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from habeas.api.client_address import client_address
from habeas.api.context import state_of
from habeas.api.problems import ApiProblem, FieldProblem
from habeas.api.ratelimit import per_client
from habeas.api.schemas_public import LocatorAnswer
from habeas.domain.errors import InvalidField
from habeas.services import access, locator
from habeas.services.access import PERSON

router = APIRouter(tags=["public"])

locator_rate_limit = per_client("locator", "the locator")


def _query(**parameters: str | None) -> locator.LocatorQuery:
    try:
        return locator.query_of(**parameters)
    except InvalidField as e:  # the service names the parameter; here it is a query parameter, so say so
        raise ApiProblem(
            422, "invalid-input", "Invalid input", f"{e.field}: {e.reason}",
            errors=[FieldProblem(detail=e.reason, parameter=e.field)],
        ) from e


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
        str | None, Query(max_length=200, description="all given names (accents, case and order do not matter)")
    ] = None,
    surnames: Annotated[str | None, Query(max_length=200, description="all surnames, in any order")] = None,
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
