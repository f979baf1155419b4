"""Which merchant a request acts on. For merchant roles it is always the principal's own merchant;
asking for another one is answered as if it did not exist. Operators name the merchant explicitly.
"""

from __future__ import annotations

from kiriman.domain.access import Principal
from kiriman.domain.errors import InvalidInput, NotFound

OPERATOR_OWNER = "OPERATOR"


def acting_merchant(principal: Principal, requested: str | None, required: bool = True) -> str | None:
    """The merchant id to build keys from. Never taken from the request for a merchant user."""
    if not principal.role.is_operator:
        if requested and requested != principal.merchant_id:
            raise NotFound("not found")
        return principal.merchant_id
    if required and not requested:
        raise InvalidInput("query.merchant_id", "operators must name the merchant they act on")
    return requested
