"""HTTP for carrier adapters: timeouts, retries with backoff and full jitter, Retry-After, one token refresh.

What may be retried depends on whether the carrier could have acted on the request. A connection that
never opened, or a 429, is always safe to repeat. A timeout or a 5xx after a *create* is ambiguous — the
label may have been bought — so it is raised as :class:`CarrierUnavailable` for the caller to look the
reference up (carriers.md §12 checklist: "never blind-retry a create or buy").
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from kiriman.carriers.base import CarrierAuthError, CarrierError, CarrierThrottled, CarrierUnavailable
from kiriman.logs import get_logger
from kiriman.retry import RetryPolicy

ErrorParser = Callable[[httpx.Response], CarrierError]
log = get_logger()


def retry_after_s(value: str | None, now: float) -> float | None:
    """RFC 9110 §10.2.3: delay-seconds or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


class CarrierHttp:
    def __init__(
        self,
        carrier: str,
        base_url: str,
        *,
        policy: RetryPolicy | None = None,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        request_id_header: str = "",
    ) -> None:
        self.carrier = carrier
        self.base_url = base_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self._client = client or httpx.Client(timeout=self.policy.timeout_s)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._request_id_header = request_id_header
        self.calls = 0

    def request(
        self,
        method: str,
        path: str,
        *,
        errors: ErrorParser,
        idempotent: bool = True,
        auth: Callable[[bool], Mapping[str, str]] | None = None,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send with retries; return a 2xx response or raise the :class:`CarrierError` ``errors`` builds.

        ``auth(refresh)`` gives the auth headers; on a 401 it is called once with ``refresh=True``.
        """
        start = time.monotonic()
        attempt = 0
        refreshed = need_refresh = False
        while True:
            sent_headers = dict(headers or {})
            if auth is not None:
                sent_headers.update(auth(need_refresh))
                need_refresh = False
            try:
                return self._once(method, path, errors, params, json, content, sent_headers)
            except CarrierAuthError:
                if auth is None or refreshed:
                    raise
                refreshed = need_refresh = True
                continue
            except (CarrierThrottled, CarrierUnavailable) as exc:
                ambiguous = isinstance(exc, CarrierUnavailable) and exc.code != "connect_error"
                if ambiguous and not idempotent:
                    raise
                attempt += 1
                wait = self.policy.delay(attempt, self._rng)
                if exc.retry_after_s is not None:
                    wait = max(wait, exc.retry_after_s)
                spent = time.monotonic() - start
                if attempt >= self.policy.attempts or spent + wait > self.policy.deadline_s:
                    raise
                log.info("carrier retry", extra={"carrier": self.carrier, "path": path, "wait_s": round(wait, 3),
                                                 "attempt": attempt, "error": exc.code or exc.message})
                self._sleep(wait)

    def _once(
        self,
        method: str,
        path: str,
        errors: ErrorParser,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None,
        json: Any,
        content: bytes | None,
        headers: Mapping[str, str],
    ) -> httpx.Response:
        self.calls += 1
        try:
            resp = self._client.request(method, self.base_url + path, params=params, json=json, content=content,
                                        headers=headers, timeout=self.policy.timeout_s)
        except httpx.ConnectError as exc:  # nothing reached the carrier: safe to repeat any call
            raise CarrierUnavailable(self.carrier, f"cannot connect: {exc}", code="connect_error") from exc
        except httpx.TimeoutException as exc:
            raise CarrierUnavailable(self.carrier, f"timeout: {exc}", code="timeout") from exc
        except httpx.TransportError as exc:
            raise CarrierUnavailable(self.carrier, f"transport error: {exc}", code="transport_error") from exc
        request_id = resp.headers.get(self._request_id_header, "") if self._request_id_header else ""
        if request_id:
            log.debug("carrier response", extra={"carrier": self.carrier, "path": path, "status": resp.status_code,
                                                 "request_id": request_id})
        if resp.status_code == 429:
            raise CarrierThrottled(self.carrier, "rate limited", code="http_429", status=429, request_id=request_id,
                                   retry_after_s=retry_after_s(resp.headers.get("retry-after"), time.time()))
        if resp.status_code == 401:
            raise CarrierAuthError(self.carrier, "credentials refused", code="http_401", status=401,
                                   request_id=request_id)
        if resp.status_code >= 500:
            raise CarrierUnavailable(self.carrier, f"HTTP {resp.status_code}", code=f"http_{resp.status_code}",
                                     status=resp.status_code, request_id=request_id)
        if resp.status_code >= 400:
            raise errors(resp)
        return resp
