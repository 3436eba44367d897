"""Answers shared by many routes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from habeas.services.unit_of_work import Result


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
