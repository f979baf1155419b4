"""HTTP for carrier adapters: timeouts, retries with backoff and full jitter, Retry-After, one token refresh.

What may be retried depends on whether the carrier could have acted on the request. A connection that
never opened, or a 429, is always safe to repeat. A timeout or a 5xx after a *create* is ambiguous — the
label may have been bought — so it is raised as :class:`CarrierUnavailable` for the caller to look the
reference up (carriers.md §12 checklist: "never blind-retry a create or buy").

Every exchange (each attempt, token calls included) can be handed to a :class:`Recorder` — the one given
to the constructor, or the one :func:`recording` installs for the current context — as an
:class:`Exchange` with credentials, authorization and signatures removed (personal data stays: the raw
archive is a private, encrypted, short-lived bucket; log lines never carry an exchange).
"""

from __future__ import annotations

import contextvars
import email.utils
import hashlib
import json as jsonlib
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from kiriman.carriers.base import CarrierAuthError, CarrierError, CarrierThrottled, CarrierUnavailable
from kiriman.logs import get_logger
from kiriman.retry import RetryPolicy

ErrorParser = Callable[[httpx.Response], CarrierError]
log = get_logger()


# --- the raw exchange recorder ------------------------------------------------------------------------
REDACTED = "[redacted]"
BODY_LIMIT = 256 * 1024  # bytes of text kept per body; a carrier answer is a few KiB, a label PDF is omitted
# Header names (lower case) that carry credentials or signatures: J&T's ``digest`` (Open Platform auth,
# carriers.md §2), Ninja Van's bearer token, cookies. Any name containing a fragment below goes too.
_SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie", "digest", "sign", "x-api-key"}
_SECRET_HEADER_FRAGMENTS = ("auth", "secret", "signature", "token", "password", "apikey", "api-key")
# Body and query field names (normalised: lower case, letters and digits) holding credentials or
# signatures: Ninja Van's OAuth request (client_secret) and answer (access_token), Flash's form ``sign``,
# 4PX's query ``sign``, J&T's ``password`` inside bizContent.
_SECRET_FIELDS = {"sign", "signature", "digest", "password", "privatekey", "key", "apikey", "appsecret",
                  "clientsecret", "secret", "accesstoken", "refreshtoken", "idtoken", "token", "partnerkey"}
_SECRET_FIELD_FRAGMENTS = ("secret", "password", "token")


def _secret_field(name: str) -> bool:
    n = re.sub(r"[^a-z0-9]", "", name.lower())
    return n in _SECRET_FIELDS or any(f in n for f in _SECRET_FIELD_FRAGMENTS)


def scrub_headers(headers: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in headers.items():
        low = k.lower()
        secret = low in _SECRET_HEADERS or any(f in low for f in _SECRET_HEADER_FRAGMENTS)
        out[low] = REDACTED if secret else v
    return out


def scrub_value(value: Any, _depth: int = 0) -> Any:
    """A copy of a decoded JSON value with credential fields redacted (JSON nested in strings too)."""
    if _depth > 30:
        return REDACTED
    if isinstance(value, dict):
        return {k: (REDACTED if isinstance(k, str) and _secret_field(k) and value[k] not in (None, "")
                    else scrub_value(value[k], _depth + 1)) for k in value}
    if isinstance(value, list):
        return [scrub_value(v, _depth + 1) for v in value]
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            inner = jsonlib.loads(value)
        except ValueError:
            return value
        return jsonlib.dumps(scrub_value(inner, _depth + 1), ensure_ascii=False, separators=(",", ":"))
    return value


def scrub_url(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = [(k, REDACTED if _secret_field(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(pairs, safe="[]")))


def scrub_body(content: bytes, content_type: str) -> Any:
    """JSON -> the value; a form -> its fields; other text -> the text; binary -> size and SHA-256 only."""
    if not content:
        return None
    ctype = content_type.lower()
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return {"omitted": "binary", "content_type": content_type, "bytes": len(content),
                "sha256": hashlib.sha256(content).hexdigest()}
    if content.startswith(b"%PDF"):
        return {"omitted": "pdf", "content_type": content_type, "bytes": len(content),
                "sha256": hashlib.sha256(content).hexdigest()}
    if "json" in ctype or text.lstrip()[:1] in ("{", "["):
        try:
            return scrub_value(jsonlib.loads(text))
        except ValueError:
            pass
    if "x-www-form-urlencoded" in ctype:
        return {"form": [[k, REDACTED if _secret_field(k) else scrub_value(v)]
                         for k, v in parse_qsl(text, keep_blank_values=True)]}
    if len(content) > BODY_LIMIT:
        return {"text": text[:BODY_LIMIT], "truncated_bytes": len(content) - BODY_LIMIT}
    return text


@dataclass(frozen=True)
class Exchange:
    """One HTTP attempt as the carrier saw it, credentials removed."""

    carrier: str
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: Any
    status: int  # 0: no response (connect error, timeout)
    response_headers: dict[str, str]
    response_body: Any
    elapsed_s: float
    attempt: int  # 1 for the first send of a request, 2 after one retry, ...
    started_at: float  # epoch seconds
    error: str = ""  # the transport error when there was no response

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Recorder(Protocol):
    def record(self, exchange: Exchange) -> None: ...


_RECORDER: contextvars.ContextVar[Recorder | None] = contextvars.ContextVar("kiriman_carrier_recorder",
                                                                              default=None)


@contextmanager
def recording(recorder: Recorder) -> Iterator[Recorder]:
    """Every :class:`CarrierHttp` used in this context (any host, token calls included) records into it."""
    token = _RECORDER.set(recorder)
    try:
        yield recorder
    finally:
        _RECORDER.reset(token)


def _exchange(carrier: str, attempt: int, started: float, elapsed: float, request: httpx.Request | None,
              response: httpx.Response | None, error: str) -> Exchange:
    req_headers = scrub_headers(request.headers) if request is not None else {}
    req_body = scrub_body(request.content, request.headers.get("content-type", "")) if request is not None else None
    return Exchange(
        carrier=carrier,
        method=request.method if request is not None else "",
        url=scrub_url(str(request.url)) if request is not None else "",
        request_headers=req_headers,
        request_body=req_body,
        status=response.status_code if response is not None else 0,
        response_headers=scrub_headers(response.headers) if response is not None else {},
        response_body=(scrub_body(response.content, response.headers.get("content-type", ""))
                       if response is not None else None),
        elapsed_s=round(elapsed, 4),
        attempt=attempt,
        started_at=started,
        error=error,
    )


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
        recorder: Recorder | None = None,
    ) -> None:
        self.carrier = carrier
        self.base_url = base_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self._client = client or httpx.Client(timeout=self.policy.timeout_s)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._request_id_header = request_id_header
        self.recorder = recorder
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
                return self._once(method, path, errors, params, json, content, sent_headers, attempt + 1)
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
        attempt: int = 1,
    ) -> httpx.Response:
        self.calls += 1
        recorder = self.recorder or _RECORDER.get()
        started, t0 = time.time(), time.monotonic()
        try:
            resp = self._client.request(method, self.base_url + path, params=params, json=json, content=content,
                                        headers=headers, timeout=self.policy.timeout_s)
        except httpx.TransportError as exc:
            if recorder is not None:
                try:
                    request: httpx.Request | None = exc.request
                except RuntimeError:  # raised without a request attached
                    request = None
                elapsed, error = time.monotonic() - t0, f"{type(exc).__name__}: {exc}"
                self._record(recorder, lambda: _exchange(self.carrier, attempt, started, elapsed, request, None, error))
            raise self._unavailable(exc) from exc
        if recorder is not None:
            elapsed = time.monotonic() - t0
            self._record(recorder, lambda: _exchange(self.carrier, attempt, started, elapsed, resp.request, resp, ""))
        return self._check(resp, path, errors)

    def _record(self, recorder: Recorder, exchange: Callable[[], Exchange]) -> None:
        try:
            recorder.record(exchange())
        except Exception as exc:  # a recorder never changes what happened at the carrier
            log.warning("carrier exchange not recorded", extra={"carrier": self.carrier, "error": repr(exc)})

    def _unavailable(self, exc: httpx.TransportError) -> CarrierUnavailable:
        if isinstance(exc, httpx.ConnectError):  # nothing reached the carrier: safe to repeat any call
            return CarrierUnavailable(self.carrier, f"cannot connect: {exc}", code="connect_error")
        if isinstance(exc, httpx.TimeoutException):
            return CarrierUnavailable(self.carrier, f"timeout: {exc}", code="timeout")
        return CarrierUnavailable(self.carrier, f"transport error: {exc}", code="transport_error")

    def _check(self, resp: httpx.Response, path: str, errors: ErrorParser) -> httpx.Response:
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
