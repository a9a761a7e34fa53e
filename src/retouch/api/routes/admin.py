"""Keys and accounts (admin scope), and what a key can see of itself (/v1/me, webhooks)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from ...service.errors import ApiError, not_found
from ...service.ledger import InsufficientCredits
from ...service.models import Account, ApiKey
from ..deps import AdminKey, EditKey, Svc
from ..jsontext import StrictJSONRoute
from ..schemas import CreatedKeyView, ErrorResponse, KeyList, KeyView, Me

router = APIRouter(tags=["keys and accounts"], route_class=StrictJSONRoute)
ERRORS: dict[int | str, dict[str, Any]] = {c: {"model": ErrorResponse} for c in (400, 401, 403, 404)}


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", max_length=200)
    scopes: list[str] = Field(default=["edit"], max_length=2)
    account_id: str | None = Field(default=None, max_length=40, description="Default: a new account")
    tier: str | None = Field(default=None, max_length=40)
    credits: int = Field(default=0, ge=0, le=10**12, description="Granted to a new account")


class CreditGrant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: int = Field(ge=-(10**12), le=10**12, description="Positive to grant, negative to take back")
    memo: str = Field(default="", max_length=500)


def key_view(k: ApiKey) -> dict[str, Any]:
    return {
        "id": k.id,
        "object": "api_key",
        "name": k.name,
        "prefix": k.prefix,
        "scopes": [x for x in k.scopes.split(",") if x],
        "account_id": k.account_id,
        "tier": k.tier,
        "created_at": int(k.created_at),
        "last_used_at": int(k.last_used_at) if k.last_used_at else None,
        "revoked": k.revoked_at is not None,
    }


@router.post("/v1/admin/keys", response_model=CreatedKeyView, responses=ERRORS)
def create_key(body: KeyCreate, _: AdminKey, svc: Svc) -> dict[str, Any]:
    if body.tier is not None and body.tier not in svc.settings.tiers:
        raise ApiError(
            400,
            f"Unknown tier {body.tier!r}; tiers: {', '.join(svc.settings.tiers)}.",
            code="invalid_value",
            param="tier",
        )
    try:
        created = svc.keys.create(
            name=body.name,
            scopes=body.scopes,
            account_id=body.account_id,
            tier=body.tier,
            credits=body.credits or (svc.settings.new_account_credits if body.account_id is None else 0),
        )
    except ValueError as e:
        raise ApiError(400, str(e), code="invalid_value", param="scopes") from None
    except LookupError:
        raise not_found("account", body.account_id or "", param="account_id") from None
    with svc.db.read() as s:
        key = s.get(ApiKey, created.id)
    assert key is not None
    return {**key_view(key), "key": created.secret, "webhook_secret": svc.webhooks.secret_for(created.id)}


@router.get("/v1/admin/keys", response_model=KeyList, responses=ERRORS)
def list_keys(
    _: AdminKey, svc: Svc, account_id: Annotated[str | None, Query(max_length=40)] = None
) -> dict[str, Any]:
    return {"object": "list", "data": [key_view(k) for k in svc.keys.list(account_id)]}


@router.delete("/v1/admin/keys/{key_id}", response_model=KeyView, responses=ERRORS)
def revoke_key(key_id: str, _: AdminKey, svc: Svc) -> dict[str, Any]:
    try:
        return key_view(svc.keys.revoke(key_id))
    except LookupError:
        raise not_found("key", key_id, param="key_id") from None


@router.get("/v1/admin/accounts", responses=ERRORS)
def list_accounts(_: AdminKey, svc: Svc) -> dict[str, Any]:
    with svc.db.read() as s:
        rows = list(s.scalars(select(Account).order_by(Account.created_at)))
    return {
        "object": "list",
        "data": [
            {
                "id": a.id,
                "object": "account",
                "name": a.name,
                "tier": a.tier,
                "balance": a.balance,
                "created_at": int(a.created_at),
            }
            for a in rows
        ],
    }


@router.post("/v1/admin/accounts/{account_id}/credits", responses=ERRORS)
def grant_credits(account_id: str, body: CreditGrant, _: AdminKey, svc: Svc) -> dict[str, Any]:
    try:
        balance = svc.ledger.grant(
            account_id,
            body.amount,
            memo=body.memo or "admin grant",
            kind="grant" if body.amount >= 0 else "adjust",
        )
    except LookupError:
        raise not_found("account", account_id, param="account_id") from None
    except InsufficientCredits as e:
        raise ApiError(
            400,
            f"Cannot take back {e.needed} credits: only {e.available} are available.",
            code="insufficient_credits",
            param="amount",
        ) from None
    return {
        "object": "balance",
        "account_id": account_id,
        "available": balance,
        "held": svc.ledger.held(account_id),
    }


@router.get("/v1/me", response_model=Me, tags=["keys and accounts"], responses=ERRORS)
def me(principal: EditKey, svc: Svc) -> dict[str, Any]:
    """The calling key, its account's balance and its webhook signing secret."""
    with svc.db.read() as s:
        key = s.get(ApiKey, principal.key_id)
    assert key is not None
    return {
        "key": key_view(key),
        "balance": {
            "object": "balance",
            "account_id": principal.account_id,
            "available": svc.ledger.balance(principal.account_id),
            "held": svc.ledger.held(principal.account_id),
        },
        "webhook_secret": svc.webhooks.secret_for(principal.key_id),
    }


@router.get("/v1/webhooks/secret", tags=["webhooks"], responses=ERRORS)
def webhook_secret(principal: EditKey, svc: Svc) -> dict:
    """The secret that signs this key's webhooks (Standard Webhooks, `whsec_...`)."""
    return {"object": "webhook_secret", "secret": svc.webhooks.secret_for(principal.key_id)}


@router.get("/v1/webhooks/deliveries", tags=["webhooks"], responses=ERRORS)
def webhook_deliveries(
    principal: EditKey,
    svc: Svc,
    job_id: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """The delivery log: each event, its status and every attempt."""
    return {"object": "list", "data": svc.webhooks.deliveries(principal, job_id=job_id, limit=limit)}


@router.get("/v1/admin/audit", responses=ERRORS)
def audit(_: AdminKey, svc: Svc) -> dict[str, Any]:
    """Check the ledger's invariants (balances, holds, captures, releases, usage) now."""
    from ...service.audit import audit_ledger

    return audit_ledger(svc.db).as_dict()
