"""API keys: random, prefixed, shown once, stored as a keyed hash with a display prefix."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select, update

from .db import Database, now
from .models import Account, ApiKey, LoginToken

KEY_PREFIX = "rt_live_"
Scope = Literal["edit", "admin"]
SCOPES: tuple[Scope, ...] = ("edit", "admin")
#: Characters of the key shown in listings ("rt_live_AbC1…"): enough to tell keys apart.
DISPLAY_CHARS = len(KEY_PREFIX) + 6


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request."""

    key_id: str
    account_id: str
    scopes: frozenset[str]
    tier: str | None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.scopes

    def can(self, scope: Scope) -> bool:
        # admin implies every other scope
        return scope in self.scopes or self.is_admin


@dataclass(frozen=True)
class CreatedKey:
    """A new key: `secret` is the only time the full key exists outside the client."""

    id: str
    account_id: str
    secret: str
    prefix: str
    scopes: list[str]
    name: str


class KeyStore:
    """Creates, verifies, lists and revokes keys; the hash is keyed with the server secret."""

    def __init__(self, db: Database, secret: bytes, *, cache_s: float = 2.0) -> None:
        self.db = db
        self._secret = secret
        # Verified keys are remembered briefly: authentication then costs no database read.
        # A revocation here applies at once; one made by another process within cache_s.
        self.cache_s = cache_s
        self._cache: dict[str, tuple[Principal, float]] = {}
        self._touched: dict[str, float] = {}
        self._lock = threading.Lock()
        #: bumped by every revocation: a lookup that raced with one is not cached
        self._epoch = 0
        #: tells the other processes of a revocation (the cluster's broadcast)
        self.on_revoke: Callable[[str], None] = lambda key_id: None

    def hash(self, key: str) -> str:
        return hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()

    def create(
        self,
        *,
        name: str = "",
        scopes: list[str] | None = None,
        account_id: str | None = None,
        account_name: str | None = None,
        tier: str | None = None,
        credits: int = 0,
    ) -> CreatedKey:
        """A new key on an existing account, or on a new one (granted `credits`)."""
        from .ledger import Ledger

        scopes = sorted(set(scopes or ["edit"]))
        bad = [s for s in scopes if s not in SCOPES]
        if bad:
            raise ValueError(f"unknown scope {bad[0]!r}; scopes are {', '.join(SCOPES)}")
        secret = KEY_PREFIX + secrets.token_urlsafe(32).replace("-", "x").replace("_", "y")
        with self.db.write() as s:
            if account_id is None:
                account = Account(name=account_name or name or "account", tier=tier)
                s.add(account)
                s.flush()
                account_id = account.id
            elif s.get(Account, account_id) is None:
                raise LookupError(f"no account {account_id!r}")
            key = ApiKey(
                account_id=account_id,
                name=name,
                prefix=secret[:DISPLAY_CHARS],
                hash=self.hash(secret),
                scopes=",".join(scopes),
                tier=tier,
            )
            s.add(key)
            s.flush()
            key_id = key.id
        if credits:
            Ledger(self.db).grant(account_id, credits, memo="initial credits")
        return CreatedKey(
            id=key_id,
            account_id=account_id,
            secret=secret,
            prefix=secret[:DISPLAY_CHARS],
            scopes=scopes,
            name=name,
        )

    def cached(self, secret: str) -> Principal | None:
        """The principal of a recently verified key, without touching the database."""
        with self._lock:
            hit = self._cache.get(secret)
        return hit[0] if hit is not None and hit[1] > time.monotonic() else None

    def verify(self, secret: str) -> Principal | None:
        """The principal for a presented key, or None (unknown or revoked)."""
        if not secret.startswith(KEY_PREFIX) or len(secret) > 200:
            return None
        hit = self.cached(secret)
        if hit is not None:
            return hit
        epoch = self._epoch
        p = self._lookup(secret)
        if p is not None:
            with self._lock:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                if epoch == self._epoch:  # a revocation arrived during the lookup: ask again next time
                    self._cache[secret] = (p, time.monotonic() + self.cache_s)
            self._touch(p.key_id)
        return p

    def _touch(self, key_id: str) -> None:
        """Record use, at most once a minute per key (a write per request would be waste)."""
        t = time.monotonic()
        with self._lock:
            if t - self._touched.get(key_id, -1e9) < 60:
                return
            self._touched[key_id] = t
        with self.db.write() as s:
            s.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now()))

    def _lookup(self, secret: str) -> Principal | None:
        with self.db.read() as s:
            row = s.execute(
                select(ApiKey, Account.tier)
                .join(Account, Account.id == ApiKey.account_id)
                .where(ApiKey.hash == self.hash(secret))
            ).first()
        if row is None or row[0].revoked_at is not None:
            return None
        return _principal(row[0], row[1])

    def principal(self, key_id: str) -> Principal | None:
        with self.db.read() as s:
            row = s.execute(
                select(ApiKey, Account.tier)
                .join(Account, Account.id == ApiKey.account_id)
                .where(ApiKey.id == key_id)
            ).first()
        if row is None or row[0].revoked_at is not None:
            return None
        return _principal(row[0], row[1])

    def list(self, account_id: str | None = None, *, include_revoked: bool = True) -> list[ApiKey]:
        with self.db.read() as s:
            q = select(ApiKey).order_by(ApiKey.created_at)
            if account_id:
                q = q.where(ApiKey.account_id == account_id)
            if not include_revoked:
                q = q.where(ApiKey.revoked_at.is_(None))
            return list(s.scalars(q))

    def revoke(self, key_id_or_prefix: str) -> ApiKey:
        """Revoke by id or by display prefix (as shown by `keys list`)."""
        with self.db.write() as s:
            key = s.get(ApiKey, key_id_or_prefix)
            if key is None:
                matches = list(s.scalars(select(ApiKey).where(ApiKey.prefix == key_id_or_prefix)))
                if len(matches) != 1:
                    raise LookupError(
                        f"no key {key_id_or_prefix!r}"
                        if not matches
                        else f"prefix {key_id_or_prefix!r} is ambiguous; use the key id"
                    )
                key = matches[0]
            if key.revoked_at is None:
                key.revoked_at = now()
            revoked_id = key.id
        self.forget(revoked_id)
        self.on_revoke(revoked_id)
        return key

    def forget(self, key_id: str) -> None:
        """Drop a key from the cache (revoked here, or in another process: the broadcast says so)."""
        with self._lock:
            self._epoch += 1
            self._cache = {k: v for k, v in self._cache.items() if v[0].key_id != key_id}

    # ---- one-time login links

    def create_login_token(self, key_id: str, ttl_s: float = 24 * 3600) -> str:
        token = secrets.token_urlsafe(32)
        with self.db.write() as s:
            s.add(LoginToken(key_id=key_id, hash=self.hash("login:" + token), expires_at=now() + ttl_s))
        return token

    def redeem_login_token(self, token: str) -> str | None:
        """The key id for an unused, unexpired login token, marking it used (single use)."""
        with self.db.write() as s:
            res = s.execute(
                update(LoginToken)
                .where(
                    LoginToken.hash == self.hash("login:" + token),
                    LoginToken.used_at.is_(None),
                    LoginToken.expires_at > now(),
                )
                .values(used_at=now())
                .returning(LoginToken.key_id)
            ).first()
        return res[0] if res else None

    # ---- browser sessions (cookie) and derived secrets

    def session_cookie(self, key_id: str, ttl_s: float = 30 * 24 * 3600) -> str:
        expires = int(now() + ttl_s)
        body = f"{key_id}.{expires}"
        return body + "." + self.hash("session:" + body)[:32]

    def verify_session_cookie(self, cookie: str) -> Principal | None:
        try:
            key_id, expires, sig = cookie.rsplit(".", 2)
        except ValueError:
            return None
        body = f"{key_id}.{expires}"
        given = sig.encode("utf-8", "surrogateescape")  # (compare_digest refuses non-ASCII str)
        if not hmac.compare_digest(given, self.hash("session:" + body)[:32].encode()):
            return None
        if not expires.isdigit() or int(expires) < now():
            return None
        return self.principal(key_id)


def _principal(key: ApiKey, account_tier: str | None) -> Principal:
    return Principal(
        key_id=key.id,
        account_id=key.account_id,
        scopes=frozenset(x for x in key.scopes.split(",") if x),
        tier=key.tier or account_tier,
    )
