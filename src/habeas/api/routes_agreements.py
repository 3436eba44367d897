"""Bilateral agreements and their invoices over HTTP (what `habeas agreement ...` does).

An agreement's parties are two states. An agency is party to the agreements of its own country (its registered
country is the sending or the receiving state): it records and reads only those. Any other agreement answers
404, as an unknown id does, so a caller cannot learn what other states agreed. Money is a decimal string.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field

from habeas.api.context import Caller, require
from habeas.api.fields import ID_PATTERN, Country, Id, Slug
from habeas.api.models import RequestModel, Written, written
from habeas.api.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, paginate
from habeas.api.problems import ApiProblem
from habeas.domain.agreements import Agreement, InvoiceIssued, RecordAgreement
from habeas.domain.periods import Period
from habeas.domain.values import format_utc
from habeas.services.agreements import (
    IssueInvoice,
    country_of,
    party_agreement,
    party_agreements,
    party_invoices,
)
from habeas.services.permissions import Permission
from habeas.services.unit_of_work import Result

router = APIRouter(tags=["agreements"])

Reader = Annotated[Caller, Depends(require(Permission.AGREEMENT_READ))]
Writer = Annotated[Caller, Depends(require(Permission.AGREEMENT_WRITE))]
AgreementId = Annotated[str, Path(pattern=ID_PATTERN)]
Money = Annotated[Decimal, Field(ge=0, le=Decimal("1e12"), allow_inf_nan=False, examples=["20.00"])]


class AgreementIn(RequestModel):
    """Parties (states), a half-open term, the categories accepted, the per-diem fee, the guaranteed minimum
    per invoice and an optional quota of people."""

    id: Id | None = None
    sending_state: Country
    receiving_state: Country
    active_from: AwareDatetime
    active_to: AwareDatetime | None = Field(default=None, description="exclusive end of the term")
    categories: list[Slug] = Field(min_length=1, max_length=100, examples=[["ina_241"]])
    per_diem: Money
    currency: str = Field(default="USD", pattern=r"^[A-Za-z]{3}$", description="ISO 4217")
    guaranteed_minimum: Money = Decimal(0)
    quota: int | None = Field(default=None, ge=0, le=100_000_000)
    occurred_at: AwareDatetime | None = None


class AgreementOut(BaseModel):
    agreement_id: str
    sending_state: str
    receiving_state: str
    active_from: str
    active_to: str | None
    categories: list[str]
    per_diem: str
    currency: str
    guaranteed_minimum: str
    quota: int | None
    seq: int


class InvoiceIn(RequestModel):
    """A closed period (its end not after now), billed by person-days: one per midnight (UTC) held."""

    id: Id | None = None
    active_from: AwareDatetime
    active_to: AwareDatetime = Field(description="exclusive end of the period")


class InvoiceOut(BaseModel):
    """``amount`` is the larger of the per-diem total and the guaranteed minimum (then ``minimum_applied``)."""

    invoice_id: str
    agreement_id: str
    period_from: str
    period_to: str
    person_days: int
    people: int
    amount: str
    currency: str
    minimum_applied: bool
    seq: int


class InvoiceWritten(InvoiceOut):
    seqs: list[int]


# -- reading ---------------------------------------------------------------------------------------------------


def _require_party(caller: Caller, agreement_id: str) -> AgreementOut:
    return AgreementOut(**caller.read(party_agreement, caller.principal.caller, agreement_id))


# -- routes ----------------------------------------------------------------------------------------------------


@router.post("/agreements", status_code=201, response_model=Written)
def record_agreement(body: AgreementIn, caller: Writer) -> JSONResponse:
    """Record an agreement to which the caller's agency's state is a party."""
    sending, receiving = body.sending_state.upper(), body.receiving_state.upper()
    country = caller.read(country_of, caller.agency_id)
    if country not in (sending, receiving):
        raise ApiProblem(
            403, "not-a-party", "Forbidden",
            f"agency {caller.agency_id} ({country}) records only agreements its state is a party to",
            agency_id=caller.agency_id,
        )
    agreement_id = body.id or f"agr-{secrets.token_hex(8)}"
    terms = Agreement(
        agreement_id=agreement_id, sending_state=sending, receiving_state=receiving,
        term=Period(active_from=body.active_from, active_to=body.active_to), categories=tuple(body.categories),
        per_diem=body.per_diem, currency=body.currency.upper(), guaranteed_minimum=body.guaranteed_minimum,
        quota=body.quota,
    )
    cmd = RecordAgreement(agreement=terms, occurred_at=body.occurred_at or caller.now())
    return caller.execute(cmd, respond=written(agreement_id))


@router.get("/agreements", response_model=Page[AgreementOut])
def agreements(caller: Reader, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[AgreementOut]:
    """The agreements the caller's agency's state is a party to, by id."""
    found = [AgreementOut(**a) for a in caller.read(party_agreements, caller.principal.caller)]
    return paginate(found, key=lambda a: a.agreement_id, limit=limit, cursor=cursor)


@router.get("/agreements/{agreement_id}", response_model=AgreementOut)
def agreement(agreement_id: AgreementId, caller: Reader) -> AgreementOut:
    return _require_party(caller, agreement_id)


@router.post("/agreements/{agreement_id}/invoices", status_code=201, response_model=InvoiceWritten)
def issue_invoice(agreement_id: AgreementId, body: InvoiceIn, caller: Writer) -> JSONResponse:
    """Invoice a closed period by person-days of everyone held in the receiving state's facilities."""
    _require_party(caller, agreement_id)
    invoice_id = body.id or f"inv-{secrets.token_hex(8)}"
    cmd = IssueInvoice(agreement_id=agreement_id, invoice_id=invoice_id,
                       period=Period(active_from=body.active_from, active_to=body.active_to))

    def respond(result: Result) -> InvoiceWritten:
        issued = result.value
        assert isinstance(issued, InvoiceIssued)
        assert issued.period.active_to is not None
        return InvoiceWritten(
            invoice_id=invoice_id, agreement_id=agreement_id, period_from=format_utc(issued.period.active_from),
            period_to=format_utc(issued.period.active_to), person_days=issued.person_days, people=len(issued.lines),
            amount=str(issued.amount), currency=issued.currency, minimum_applied=issued.minimum_applied,
            seq=result.seq, seqs=list(result.seqs),
        )

    return caller.execute(cmd, respond=respond)


@router.get("/agreements/{agreement_id}/invoices", response_model=Page[InvoiceOut])
def invoices(
    agreement_id: AgreementId, caller: Reader, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[InvoiceOut]:
    """The agreement's invoices, by id."""
    rows = caller.read(party_invoices, caller.principal.caller, agreement_id)
    found = [InvoiceOut(**{name: r[name] for name in InvoiceOut.model_fields}) for r in rows]
    return paginate(found, key=lambda i: i.invoice_id, limit=limit, cursor=cursor)
