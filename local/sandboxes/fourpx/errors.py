"""4PX's error envelope, raised as exceptions by the method handlers.

Every gateway answer is ``{"result": "1" | "0", "msg", "errors": [{"error_code", "error_msg", "error_data"}],
"data"}``, business errors with HTTP 200 (4PX FOP; field names as in public FOP SDKs, whose ``Error`` type has
``error_code``, ``error_msg``, ``error_data``, ``referenceCode``). Texts follow the ``language`` query parameter
(``cn`` | ``en``).

The codes are the sandbox's own except ``DS000000`` (seen in a public integration as 4PX's answer to a missing
field): 4PX publishes no code list. Clients should branch on ``result`` and, for a validation problem, read the
field path in ``error_data`` (also the prefix of ``error_msg``: ``"<field>: <text>"``).
"""

from __future__ import annotations

from dataclasses import dataclass

# Gateway (checked before the method runs)
MISSING_PARAM = "SYS000001"  # a public parameter is missing or malformed
UNKNOWN_APP_KEY = "SYS000002"
BAD_SIGN = "SYS000003"
BAD_TIMESTAMP = "SYS000004"  # only when timestamp_window_s is set
BAD_FORMAT = "SYS000005"  # format other than json
BAD_BODY = "SYS000006"  # the body is not a JSON object
THROTTLED = "SYS000429"
SERVER_ERROR = {500: "SYS000500", 502: "SYS000502", 503: "SYS000503", 504: "SYS000504"}
# Business
VALIDATION = "DS000000"
DUPLICATE_REF_NO = "DS000001"
NOT_FOUND = "DS000002"
NOT_CANCELLABLE = "DS000003"
NOT_PERMITTED = "DS000004"  # label / tracking / quote switched off for the account (control API)
ORDER_CLOSED = "DS000005"  # label of a cancelled order
NO_TRACKING = "TR000001"


@dataclass(frozen=True)
class Problem:
    code: str
    en: str
    cn: str
    field: str = ""  # dotted path in the request body, parcel_list[0].weight style

    def render(self, language: str) -> dict[str, str | None]:
        text = self.cn if language == "cn" else self.en
        return {
            "error_code": self.code,
            "error_msg": f"{self.field}: {text}" if self.field else text,
            "error_data": self.field or None,
        }


class FopError(Exception):
    def __init__(
        self,
        problems: list[Problem],
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        fault: str = "",
    ) -> None:
        super().__init__(problems[0].en if problems else "error")
        self.problems = problems
        self.status = status
        self.headers = headers or {}
        self.fault = fault


def fail(code: str, en: str, cn: str, field: str = "") -> FopError:
    return FopError([Problem(code, en, cn, field)])


def server_error(status: int, fault: str = "") -> FopError:
    code = SERVER_ERROR.get(status, "SYS000500")
    problem = Problem(code, "System busy, please retry later", "系统繁忙，请稍后重试")
    return FopError([problem], status=status, fault=fault)


def throttled(retry_after_s: int) -> FopError:
    problem = Problem(
        THROTTLED,
        f"Request limit exceeded, retry after {retry_after_s} seconds",
        f"请求过于频繁，请{retry_after_s}秒后重试",
    )
    return FopError([problem], status=429, headers={"Retry-After": str(retry_after_s)}, fault="throttle")
