"""The locator's route reads its query itself (issue 12: FastAPI's parameter solving cost a lookup 0.4 ms of CPU);
what a client sees stays what the declared parameters gave: the same OpenAPI parameters, the same 422 problem for a
value too long, the same answer bytes as the response model's, and the token spent before any of it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query

from habeas.api import problems
from habeas.api.ratelimit import per_client
from habeas.api.schemas_public import LocatorAnswer
from habeas.services import locator
from tests.e2e.api.conftest import ApiWorld
from tests.e2e.api.server import in_process

LOCATOR = "/public/locator"


def declared() -> FastAPI:
    """The route as it was declared before issue 12, answering no one: what FastAPI makes of its parameters."""
    app = FastAPI(responses=problems.PROBLEM_RESPONSES)
    problems.install(app)

    @app.get(LOCATOR, response_model=LocatorAnswer, dependencies=[Depends(per_client("locator", "the locator"))])
    def locate(
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
        return LocatorAnswer(matches=[], checkpoint="")

    return app


def operation(app: FastAPI) -> dict[str, Any]:
    found: dict[str, Any] = app.openapi()["paths"][LOCATOR]["get"]
    return found


def test_the_documented_parameters_are_those_fastapi_made_of_the_declared_ones(api_world: ApiWorld) -> None:
    assert operation(api_world.app)["parameters"] == operation(declared())["parameters"]


def test_a_value_too_long_is_the_same_problem_as_a_declared_parameters(api_world: ApiWorld) -> None:
    reference = declared()
    reference.state.habeas = api_world.app.state.habeas  # the rate limiter's extras
    too_long = {"a_number": "1" * 41, "surnames": "x" * 201, "country_of_birth": "SVXX"}
    with in_process(reference) as client:
        expected = client.get(LOCATOR, params=too_long)
    got = api_world.client().get(LOCATOR, params=too_long)
    assert got.status_code == expected.status_code == 422
    assert got.headers["content-type"] == expected.headers["content-type"]
    assert got.json() == expected.json()
    assert [e["parameter"] for e in got.json()["errors"]] == ["a_number", "surnames", "country_of_birth"]


def test_the_answer_is_the_response_models_bytes(api_world: ApiWorld) -> None:
    params = {"a_number": "A-123-456-789", "country_of_birth": "SV"}
    got = api_world.client().get(LOCATOR, params=params)
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/json"
    assert got.headers["cache-control"] == "no-store"
    query = locator.query_of(a_number=params["a_number"], given_names=None, surnames=None, date_of_birth=None,
                             country_of_birth=params["country_of_birth"])
    assert got.content == LocatorAnswer.of(api_world.services.locate(query)).model_dump_json().encode()
