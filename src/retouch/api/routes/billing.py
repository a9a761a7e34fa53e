"""Pricing, estimates, balance, usage and statements."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from ...schema import Quality
from ...service.edits import usage_dict
from ...service.errors import ApiError, invalid
from ...service.inputs import ImageInput
from ...service.keys import Principal
from ...service.params import EditOptions, Mode
from ...service.reports import parse_day
from ..deps import EditKey, Svc
from ..jsontext import StrictJSONRoute
from ..schemas import Balance, ErrorResponse, Estimate

router = APIRouter(tags=["billing"], route_class=StrictJSONRoute)
ERRORS: dict[int | str, dict[str, Any]] = {c: {"model": ErrorResponse} for c in (400, 401, 403, 404, 408, 409, 413)}


class EstimateRequest(BaseModel):
    """What an edit would cost, before running it. Give the inputs' sizes (`image_sizes`) or the
    inputs themselves (`images`: data URLs, http(s) URLs or file ids)."""

    model_config = ConfigDict(extra="forbid")

    prompt: str | None = Field(default=None, max_length=32000, description="Required unless 'plan' is given")
    image_sizes: list[str] | None = Field(default=None, max_length=16, description="WxH of each input")
    images: list[str] | None = Field(default=None, max_length=16)
    mode: Mode = "edit"
    model: str | None = None
    n: int = Field(default=1, ge=1, le=10)
    size: str = "auto"
    quality: Quality = "auto"
    plan: dict[str, Any] | list[Any] | None = Field(
        default=None, description="retouch extension: the EditPlan the edit would run (checked as the edit checks it)"
    )
    after: str | None = Field(
        default=None,
        max_length=100,
        description="retouch extension: the job whose output is being edited; without images or image_sizes "
        "its stored inputs are priced",
    )


def _sized(spec: str, i: int) -> ImageInput:
    try:
        w, h = (int(x) for x in spec.lower().split("x"))
    except ValueError:
        raise invalid(f"Invalid value for 'image_sizes[{i}]': {spec!r}; use WxH.", "image_sizes") from None
    if not (0 < w <= 65535 and 0 < h <= 65535):
        raise invalid(f"Invalid value for 'image_sizes[{i}]': {spec!r}.", "image_sizes")
    return ImageInput(data=b"", format="png", width=w, height=h)


@router.get("/v1/pricing")
def pricing(svc: Svc) -> dict[str, Any]:
    """The price table (credits per 1M tokens) and the token model."""
    return svc.pricing.table()


@router.post("/v1/estimates", response_model=Estimate, responses=ERRORS)
def estimate(body: EstimateRequest, principal: EditKey, svc: Svc) -> dict[str, Any]:
    if body.images:
        images = [
            svc.resolver.resolve(r, param=f"images[{i}]", principal=principal)
            for i, r in enumerate(body.images)
        ]
    elif body.image_sizes:
        images = [_sized(x, i) for i, x in enumerate(body.image_sizes)]
    elif body.after is not None:
        images = []  # the inputs the job stored
    else:
        raise invalid("Give 'image_sizes' or 'images'.", "image_sizes", code="missing_required_parameter")
    if body.prompt is None and body.plan is None:
        raise ApiError(
            400, "Missing required parameter: 'prompt'.", code="missing_required_parameter", param="prompt"
        )
    options = EditOptions(
        prompt=body.prompt or "",
        model=body.model,
        n=body.n,
        size=body.size,
        quality=body.quality,
        plan=body.plan,
        after=body.after,
    )
    images, mask = svc.jobs.followups.apply(principal, options, images, None, body.mode)
    spec = svc.edits.prepare(options, images, mask, body.mode)
    balance = svc.ledger.balance(principal.account_id)
    w, h = spec.output_sizes[0]
    return {
        "object": "estimate",
        "model": spec.model,
        "usage": usage_dict(spec.quote.usage),
        "credits": spec.quote.credits,
        "balance": balance,
        "sufficient": balance >= spec.quote.credits,
        "output_size": f"{w}x{h}",
    }


@router.get("/v1/balance", response_model=Balance, responses=ERRORS)
def balance(principal: EditKey, svc: Svc) -> dict[str, Any]:
    return {
        "object": "balance",
        "account_id": principal.account_id,
        "available": svc.ledger.balance(principal.account_id),
        "held": svc.ledger.held(principal.account_id),
    }


def _account(principal: Principal, account_id: str | None) -> str | None:
    if account_id and account_id != principal.account_id and not principal.is_admin:
        raise ApiError(
            403, "Only admin keys can read other accounts.", code="insufficient_scope", param="account_id"
        )
    return account_id or principal.account_id


@router.get("/v1/usage", responses=ERRORS)
def usage(
    principal: EditKey,
    svc: Svc,
    start: Annotated[str | None, Query(description="First day, YYYY-MM-DD (UTC)")] = None,
    end: Annotated[str | None, Query(description="Last day, YYYY-MM-DD (UTC)")] = None,
    group_by: Annotated[str, Query(max_length=100, description="Comma-separated: day, model, key")] = "day",
    key_id: Annotated[str | None, Query(max_length=40)] = None,
    account_id: Annotated[str | None, Query(max_length=40, description="Admins: another account")] = None,
    all_accounts: Annotated[bool, Query(description="Admins: every account")] = False,
) -> dict[str, Any]:
    """Requests, images, tokens and credits, grouped by day, model and/or key."""
    groups = [g.strip() for g in group_by.split(",") if g.strip()]
    account = None if (all_accounts and principal.is_admin) else _account(principal, account_id)
    return svc.reports.usage(
        account, start=parse_day(start, "start"), end=parse_day(end, "end"), group_by=groups, key_id=key_id
    )


@router.get(
    "/v1/statements", responses={**ERRORS, 200: {"content": {"application/json": {}, "text/csv": {}}}}
)
def statement(
    principal: EditKey,
    svc: Svc,
    start: Annotated[str | None, Query(description="First day (default: first of this month)")] = None,
    end: Annotated[str | None, Query(description="Last day (default: today)")] = None,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
    account_id: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """Every credit movement of the period with opening and closing balances, as JSON or CSV."""
    today = dt.datetime.now(dt.UTC).date()
    first = parse_day(start, "start") or today.replace(day=1)
    last = parse_day(end, "end") or today
    if last < first:
        raise invalid("'end' is before 'start'.", "end")
    account = _account(principal, account_id)
    assert account is not None
    doc = svc.reports.statement(account, start=first, end=last)
    if format == "csv":
        return PlainTextResponse(
            svc.reports.statement_csv(doc),
            media_type="text/csv",
            headers={"content-disposition": f'attachment; filename="statement-{first}-{last}.csv"'},
        )
    from fastapi.responses import JSONResponse

    return JSONResponse(doc)
