"""Users and API keys. Merchant admins manage their merchant's users; admins manage operators.

Keys are shown once (when created or rotated) and otherwise identified by their short prefix.
"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, Field, field_validator

from kiriman.api.envelope import JSON
from kiriman.api.idempotency import idempotent
from kiriman.api.models import Label, Name, Page, StrictBody, printable
from kiriman.api.resolver import acting, principal, requires, runtime
from kiriman.domain import users
from kiriman.domain.access import Permission, Role
from kiriman.domain.merchants import ApiKey, User

router = Router()
MerchantQuery = Annotated[
    str | None,
    Query(max_length=40, description="Operators: the merchant to act on (omit for the forwarder's own users)."),
]


class UserIn(StrictBody):
    display_name: Name
    role: Role
    warehouse_id: str | None = Field(None, max_length=40, description="Limits a `warehouse` operator to one site.")

    _printable = field_validator("display_name")(printable)


class UserOut(BaseModel):
    user_id: str
    merchant_id: str | None
    role: str
    display_name: str
    warehouse_id: str | None
    created_at: float

    @classmethod
    def of(cls, u: User) -> "UserOut":
        return cls.model_validate(u, from_attributes=True)


class KeyOut(BaseModel):
    prefix: str
    user_id: str
    role: str
    label: str | None
    created_at: float
    last_used_at: float | None
    revoked_at: float | None = Field(description="In the future while a rotated key's grace period runs.")

    @classmethod
    def of(cls, k: ApiKey) -> "KeyOut":
        # Same field names as the domain object; the key hash is not one of them.
        return cls.model_validate(k, from_attributes=True)


class IssuedKeyOut(BaseModel):
    api_key: str = Field(description="Shown once. Only its hash is stored.")
    key: KeyOut


class UserCreatedOut(BaseModel):
    user: UserOut
    api_key: str = Field(description="Shown once. Only its hash is stored.")
    key: KeyOut


class UserPage(Page):
    items: list[UserOut]


class KeyList(BaseModel):
    items: list[KeyOut]


class KeyIn(StrictBody):
    label: Label | None = None


class RotateIn(StrictBody):
    grace_seconds: int = Field(0, ge=0, le=7 * 86400, description="How long the old key keeps working.")


def _owner(merchant_id: str | None) -> str | None:
    """Merchant users act on their own merchant; operators on the named one, or on the forwarder."""
    return acting(merchant_id, required=False)


@router.post("/v1/users", summary="Create a user with its first API key")
@requires(router, Permission.USERS_WRITE)
@idempotent(router)
def create_user(body: Annotated[UserIn, Body()], merchant_id: MerchantQuery = None) -> Response[dict[str, Any]]:
    rt = runtime()
    issued = users.create_user(
        rt.store, rt.clock, principal(), _owner(merchant_id), body.display_name, body.role, body.warehouse_id
    )
    out = UserCreatedOut(user=UserOut.of(issued.user), api_key=issued.api_key, key=KeyOut.of(issued.key))
    return Response(status_code=201, content_type=JSON, body=out.model_dump(mode="json"))


@router.get("/v1/users", summary="List users")
@requires(router, Permission.USERS_READ)
def list_users(
    merchant_id: MerchantQuery = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> UserPage:
    items, nxt = runtime().store.list_users(_owner(merchant_id), limit, cursor)
    return UserPage(items=[UserOut.of(u) for u in items], next_cursor=nxt)


@router.get("/v1/users/<user_id>", summary="One user")
@requires(router, Permission.USERS_READ)
def get_user(user_id: str, merchant_id: MerchantQuery = None) -> UserOut:
    return UserOut.of(users.get_user(runtime().store, _owner(merchant_id), user_id))


@router.post("/v1/users/<user_id>/keys", summary="Issue another API key for a user")
@requires(router, Permission.KEYS_WRITE)
@idempotent(router)
def add_key(
    user_id: str, body: Annotated[KeyIn, Body()], merchant_id: MerchantQuery = None
) -> Response[dict[str, Any]]:
    rt = runtime()
    issued = users.add_key(rt.store, rt.clock, _owner(merchant_id), user_id, body.label)
    out = IssuedKeyOut(api_key=issued.api_key, key=KeyOut.of(issued.key))
    return Response(status_code=201, content_type=JSON, body=out.model_dump(mode="json"))


@router.get("/v1/users/<user_id>/keys", summary="A user's API keys (prefixes, never the keys)")
@requires(router, Permission.KEYS_READ)
def list_user_keys(user_id: str, merchant_id: MerchantQuery = None) -> KeyList:
    owner = _owner(merchant_id)
    users.get_user(runtime().store, owner, user_id)
    return KeyList(items=[KeyOut.of(k) for k in runtime().store.list_api_keys(owner, user_id)])


@router.get("/v1/api-keys", summary="Every API key of the merchant (or of the operators)")
@requires(router, Permission.KEYS_READ)
def list_keys(merchant_id: MerchantQuery = None) -> KeyList:
    return KeyList(items=[KeyOut.of(k) for k in runtime().store.list_api_keys(_owner(merchant_id), None)])


@router.post("/v1/api-keys/<prefix>/rotate", summary="Replace a key; the old one works for a grace period")
@requires(router, Permission.KEYS_WRITE)
@idempotent(router)
def rotate_key(
    prefix: str, body: Annotated[RotateIn, Body()], merchant_id: MerchantQuery = None
) -> Response[dict[str, Any]]:
    rt = runtime()
    issued = users.rotate_key(rt.store, rt.clock, _owner(merchant_id), prefix, body.grace_seconds)
    out = IssuedKeyOut(api_key=issued.api_key, key=KeyOut.of(issued.key))
    return Response(status_code=201, content_type=JSON, body=out.model_dump(mode="json"))


@router.post("/v1/api-keys/<prefix>/revoke", summary="Revoke a key now")
@requires(router, Permission.KEYS_WRITE)
def revoke_key(prefix: str, merchant_id: MerchantQuery = None) -> KeyOut:
    rt = runtime()
    return KeyOut.of(users.revoke_key(rt.store, rt.clock, _owner(merchant_id), prefix))
