"""What every API handler gets (:class:`Ctx`) and returns (:class:`ApiResult`), plus parameter parsing.

Per open.shopee.com "API calls": GET business parameters are in the query string, lists comma-joined,
booleans ``true``/``false``; POST business parameters are a JSON body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import param_error
from .model import Merchant, Order, Package, Shop
from .state import SandboxState

UINT32_MAX = 4_294_967_295


@dataclass
class ApiResult:
    response: Any = None
    has_response: bool = False
    top: dict[str, Any] = field(default_factory=dict)  # fields at the envelope's top level
    warning: Any = None
    error: str = ""  # set for partial-failure batches ("common.batch_api_all_failed") that still carry response
    message: str = ""
    binary: bytes | None = None
    content_type: str = "application/json"
    redirect: str | None = None
    http_status: int | None = None


def ok(response: Any, warning: Any = None) -> ApiResult:
    return ApiResult(response=response, has_response=True, warning=warning)


def ok_top(**fields: Any) -> ApiResult:
    return ApiResult(top=fields)


def ok_empty() -> ApiResult:
    return ApiResult()


@dataclass
class Ctx:
    state: SandboxState
    now: float
    method: str
    path: str
    query: dict[str, str]
    body: dict[str, Any]
    request_id: str
    shop: Shop | None = None
    merchant: Merchant | None = None

    # -- query string ------------------------------------------------------------------------------
    def q(self, name: str) -> str | None:
        value = self.query.get(name)
        return value if value not in (None, "") else None

    def q_required(self, name: str) -> str:
        value = self.q(name)
        if value is None:
            raise param_error(f"{name} is a required field")
        return value

    def q_int(self, name: str, *, required: bool = False) -> int | None:
        raw = self.q_required(name) if required else self.q(name)
        if raw is None:
            return None
        try:
            return int(raw)
        except ValueError:
            raise param_error(f"{name} should be an integer") from None

    def q_bool(self, name: str) -> bool:
        raw = self.q(name)
        if raw is None:
            return False
        if raw.lower() in ("true", "1"):
            return True
        if raw.lower() in ("false", "0"):
            return False
        raise param_error(f"{name} should be true or false")

    def q_list(self, name: str) -> list[str]:
        raw = self.q(name)
        return [part.strip() for part in raw.split(",") if part.strip()] if raw else []

    # -- JSON body ---------------------------------------------------------------------------------
    def b(self, name: str) -> Any:
        return self.body.get(name)

    def b_str(self, name: str, *, required: bool = False, obj: dict[str, Any] | None = None) -> str | None:
        src = self.body if obj is None else obj
        value = src.get(name)
        if value is None or value == "":
            if required:
                raise param_error(f"{name} is a required field")
            return None
        if not isinstance(value, str):
            raise param_error(f"{name} should be a string")
        return value

    def b_int(self, name: str, *, required: bool = False, obj: dict[str, Any] | None = None) -> int | None:
        src = self.body if obj is None else obj
        value = src.get(name)
        if value is None:
            if required:
                raise param_error(f"{name} is a required field")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise param_error(f"{name} should be an integer")
        return value

    def b_list(
        self,
        name: str,
        *,
        required: bool = False,
        lo: int = 0,
        hi: int | None = None,
        obj: dict[str, Any] | None = None,
    ) -> list[Any]:
        src = self.body if obj is None else obj
        value = src.get(name)
        if value is None:
            if required:
                raise param_error(f"{name} is a required field")
            return []
        if not isinstance(value, list):
            raise param_error(f"{name} should be an array")
        if len(value) < lo or (hi is not None and len(value) > hi):
            limit = f"[{lo},{hi}]" if hi is not None else f"at least {lo}"
            raise param_error(f"{name} length should be in {limit}")
        return value

    # -- shop data -------------------------------------------------------------------------------------
    def require_shop(self) -> Shop:
        assert self.shop is not None, "shop API without a shop"
        return self.shop

    def find_order(self, order_sn: str) -> Order | None:
        order = self.state.order(order_sn)
        if order is None or self.shop is None or order.shop_id != self.shop.shop_id:
            return None
        return order

    def find_package(self, order: Order, package_number: str) -> Package | None:
        return next((p for p in order.packages if p.package_number == package_number), None)


Handler = Callable[[Ctx], ApiResult]


@dataclass(frozen=True)
class Endpoint:
    path: str
    method: str  # GET | POST
    api_type: str  # public | shop | merchant
    handler: Handler


def parse_cursor(raw: str | None) -> tuple[int, str] | None:
    """Cursors are opaque to clients ("value,key"); a malformed one is a parameter error."""
    if not raw:
        return None
    value, sep, key = raw.partition(",")
    if not sep or not key:
        raise param_error("cursor is invalid")
    try:
        return int(value), key
    except ValueError:
        raise param_error("cursor is invalid") from None


def make_cursor(value: int, key: str) -> str:
    return f"{value},{key}"
