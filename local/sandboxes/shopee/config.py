"""Behaviour knobs of the sandbox (timings on the shared clock, undocumented choices). ``POST /_sandbox/config``."""

from __future__ import annotations

from dataclasses import dataclass, field

# Lifetimes published in open.shopee.com "Authorization and Authentication" and the v2.public.get_access_token /
# v2.public.refresh_access_token pages (CONFIRMED there): not configurable.
ACCESS_TOKEN_TTL = 4 * 3600
REFRESH_TOKEN_TTL = 30 * 86400
OLD_ACCESS_TOKEN_GRACE = 300  # "SIP best practices": the previous access_token stays valid 5 minutes
AUTH_CODE_TTL = 600  # the code is single-use and expires after 10 minutes
AUTH_LINK_TTL = 300  # authorization links die 5 minutes after their timestamp
EXPIRY_WARNING_AHEAD = 7 * 86400  # push 12 open_api_authorization_expiry: 7 days ahead
LIST_WINDOW = 15 * 86400  # get_order_list: time_from..time_to at most 15 days
# Push retry schedule (push-mechanism pages: "retry after 300s, 1800s, 10800s", timeout 3 s)
PUSH_RETRY_DELAYS = [300.0, 1800.0, 10800.0]
LOST_PUSH_RETENTION = 3 * 86400  # get_lost_push_message: lost messages of the last 3 days, earliest 100


@dataclass
class SandboxConfig:
    # "200": every business error is HTTP 200 (the only observed behaviour); "mapped": 400/403/404/429/500.
    http_status_mode: str = "200"
    # |now - timestamp| allowed. Shopee: "requested within 5 minutes of a timestamp"; whether a slightly
    # future timestamp passes is UNCONFIRMED -> tolerant: the window applies both ways.
    timestamp_window_s: int = 300
    # The error for an access token that expired (unknown tokens always give error_auth "Invalid access_token.").
    # Shopee's common error list carries both; which one an expired token gets is UNCONFIRMED.
    expired_token_error: str = "invalid_acceess_token"  # noqa: S105 - an error code (Shopee's spelling), not a secret
    # Recipient PII masking: never | after_ship (unmasked while READY_TO_SHIP/PROCESSED/RETRY_SHIP) | always.
    mask_recipient: str = "after_ship"
    # Timings on the shared clock, in seconds (None disables the automatic step).
    tracking_delay_s: float = 60.0  # ship_order -> tracking number assigned (push 4, order PROCESSED)
    document_delay_s: float = 5.0  # create_shipping_document -> READY (push 15)
    auto_pickup_after_s: float | None = 86400.0  # tracking number -> 3PL pickup (local sellers)
    # Cross-border: pickup stands in for the first-mile scan at the transit warehouse until first-mile
    # binding is emulated; set it to None then.
    cb_auto_pickup_after_s: float | None = 172800.0
    deliver_after_s: float | None = 259200.0  # pickup -> delivered (TO_CONFIRM_RECEIVE)
    complete_after_s: float | None = 259200.0  # delivered -> COMPLETED
    platform_ship_after_s: float | None = 3600.0  # Shopee-fulfilled / advance orders: paid -> arranged by Shopee
    # Unarranged seller orders are cancelled by the system this long after ship_by_date ("Seller did not
    # ship"; the exact grace is UNCONFIRMED).
    late_cancel_after_s: float | None = 259200.0
    push_timeout_s: float = 3.0
    push_retry_delays_s: list[float] = field(default_factory=lambda: list(PUSH_RETRY_DELAYS))
    lost_push_retention_s: float = float(LOST_PUSH_RETENTION)
