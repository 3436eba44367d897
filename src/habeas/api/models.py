"""Answers shared by many routes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from habeas.services.unit_of_work import Result


class RequestModel(BaseModel):
    """The base of every request body and of every object nested in one: a field the API does not know is refused
    (422 naming it), never dropped. A misspelt ``date_of_brith`` or a ``{"name": {"given": [...]}}`` would
    otherwise record a person without the birth date or the given names the caller sent."""

    model_config = ConfigDict(extra="forbid")


class Written(BaseModel):
    """What a write answers: the id of the record it made or changed and the ledger entries it appended."""

    id: str | None = None
    seqs: list[int]
    warnings: list[str] = []

    @classmethod
    def of(cls, result: Result, record_id: str | None = None) -> Written:
        return cls(id=record_id, seqs=list(result.seqs), warnings=[str(w) for w in result.warnings])


def written(record_id: str | None = None) -> Any:
    """``respond=`` for :meth:`habeas.api.context.Caller.execute` when the answer is just :class:`Written`."""
    return lambda result: Written.of(result, record_id)
