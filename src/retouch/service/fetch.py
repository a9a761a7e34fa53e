"""Fetching user-given URLs without becoming a proxy into the private network (SSRF).

Only http(s). The host is resolved here and every address is checked (private,
loopback, link-local, reserved, multicast, CGNAT... are refused unless allowed); the
connection then goes to the checked address itself, with Host and TLS SNI set to the
name, so a second DNS answer cannot swap in another address (DNS rebinding).
Redirects are followed by hand, each hop checked the same way. Size and time limits
hold for the whole fetch.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from .errors import ApiError

Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class UrlRefused(ApiError):
    def __init__(self, message: str, param: str | None) -> None:
        super().__init__(400, message, code="url_not_allowed", param=param)


class FetchFailed(ApiError):
    def __init__(self, message: str, param: str | None) -> None:
        super().__init__(400, message, code="url_fetch_failed", param=param)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def address_allowed(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_private: bool, blocked: tuple[Network, ...] = ()
) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified or ip.is_multicast or any(ip in net for net in blocked):
        return False
    return allow_private or ip.is_global


@dataclass(frozen=True)
class Target:
    """A checked URL and the address to connect to."""

    url: str
    scheme: str
    host: str
    port: int
    address: str

    def pinned_url(self) -> str:
        parts = urlsplit(self.url)
        addr = f"[{self.address}]" if ":" in self.address else self.address
        path = parts.path or "/"
        return f"{parts.scheme}://{addr}:{self.port}{path}" + (f"?{parts.query}" if parts.query else "")

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


class SafeFetcher:
    def __init__(
        self,
        *,
        allow_private: bool = False,
        timeout_s: float = 20.0,
        max_bytes: int = 50 * 1024 * 1024,
        max_redirects: int = 5,
        resolver: Resolver = system_resolver,
        user_agent: str = "retouch",
        blocked_networks: list[str] | tuple[str, ...] = (),
    ) -> None:
        self.allow_private = allow_private
        self.blocked = tuple(ipaddress.ip_network(n, strict=False) for n in blocked_networks)
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.resolver = resolver
        self.user_agent = user_agent

    def check(self, url: str, *, param: str | None = None) -> Target:
        """Parse and resolve `url`; raise UrlRefused unless every address it resolves to is allowed."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as e:
            raise UrlRefused(f"Invalid URL: {e}", param) from e
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise UrlRefused(
                f"Only http and https URLs can be fetched, not {scheme or 'a bare path'!r}.", param
            )
        host = parts.hostname
        if not host:
            raise UrlRefused("The URL has no host.", param)
        port = port or (443 if scheme == "https" else 80)
        try:
            literal = ipaddress.ip_address(host)
            addresses = [str(literal)]
        except ValueError:
            try:
                addresses = self.resolver(host, port)
            except (OSError, UnicodeError) as e:
                raise FetchFailed(f"Cannot resolve host {host!r}.", param) from e
        if not addresses:
            raise FetchFailed(f"Cannot resolve host {host!r}.", param)
        for a in addresses:
            ip = ipaddress.ip_address(a.split("%", 1)[0])
            if not address_allowed(ip, self.allow_private, self.blocked):
                raise UrlRefused(
                    f"URL host {host!r} resolves to a private, loopback or otherwise non-public address "
                    f"({ip}); such URLs are refused.",
                    param,
                )
        return Target(url=url, scheme=scheme, host=host, port=port, address=addresses[0].split("%", 1)[0])

    def get(self, url: str, *, param: str | None = None) -> tuple[bytes, str]:
        """GET `url` (following checked redirects); returns (body, content type)."""
        deadline = time.monotonic() + self.timeout_s
        with httpx.Client(timeout=self.timeout_s, follow_redirects=False, trust_env=False) as client:
            for _ in range(self.max_redirects + 1):
                target = self.check(url, param=param)
                try:
                    with client.stream(
                        "GET",
                        target.pinned_url(),
                        headers=self._headers(target),
                        extensions=self._extensions(target),
                    ) as resp:
                        if resp.is_redirect:
                            location = resp.headers.get("location")
                            if not location:
                                raise FetchFailed("Redirect without a Location header.", param)
                            url = urljoin(url, location)
                            continue
                        if resp.status_code >= 400:
                            raise FetchFailed(f"Fetching the URL failed with HTTP {resp.status_code}.", param)
                        declared = resp.headers.get("content-length")
                        if declared and declared.isdigit() and int(declared) > self.max_bytes:
                            raise ApiError(
                                413,
                                f"The URL's content is larger than {self.max_bytes} bytes.",
                                code="file_too_large",
                                param=param,
                            )
                        chunks: list[bytes] = []
                        size = 0
                        for chunk in resp.iter_bytes():
                            size += len(chunk)
                            if size > self.max_bytes:
                                raise ApiError(
                                    413,
                                    f"The URL's content is larger than {self.max_bytes} bytes.",
                                    code="file_too_large",
                                    param=param,
                                )
                            if time.monotonic() > deadline:
                                raise FetchFailed(
                                    f"Fetching the URL took longer than {self.timeout_s:g} s.", param
                                )
                            chunks.append(chunk)
                        return b"".join(chunks), resp.headers.get("content-type", "")
                except httpx.TimeoutException as e:
                    raise FetchFailed(
                        f"Fetching the URL took longer than {self.timeout_s:g} s.", param
                    ) from e
                except httpx.HTTPError as e:
                    raise FetchFailed(f"Fetching the URL failed: {type(e).__name__}.", param) from e
        raise FetchFailed(f"Too many redirects (more than {self.max_redirects}).", param)

    def post(self, url: str, body: bytes, headers: dict[str, str], *, timeout_s: float) -> int:
        """POST to a checked URL (webhooks); no redirects. Returns the status code."""
        target = self.check(url, param="webhook_url")
        with httpx.Client(timeout=timeout_s, follow_redirects=False, trust_env=False) as client:
            resp = client.post(
                target.pinned_url(),
                content=body,
                headers={**self._headers(target), **headers},
                extensions=self._extensions(target),
            )
            return resp.status_code

    def _headers(self, target: Target) -> dict[str, str]:
        return {"Host": target.host_header, "User-Agent": self.user_agent}

    @staticmethod
    def _extensions(target: Target) -> dict[str, object]:
        return {"sni_hostname": target.host} if target.scheme == "https" else {}
