"""J&T JMS signatures (MY open-platform "API Introduction"; CN/EG business digest from public clients).

* Header ``digest`` = Base64( MD5_raw_bytes( bizContent_string + privateKey ) ) - the 16 MD5 bytes, not the hex
  text. The same rule signs the tracking callbacks J&T pushes.
* MY / VN business ``password`` = UPPER( hex MD5( plain password + "jadada369t3" ) ).
* CN / EG business ``digest`` (inside bizContent) =
  Base64( MD5_raw( customerCode + UPPER( hex MD5( plain password + "jadada236t2" ) ) + privateKey ) ).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

MY_SALT = "jadada369t3"
CN_SALT = "jadada236t2"
HEX32 = re.compile(r"^[0-9A-Fa-f]{32}$")


def _md5(text: str) -> bytes:
    return hashlib.md5(text.encode("utf-8")).digest()  # noqa: S324 - J&T's algorithm, not our security choice


def header_digest(biz_content: str, private_key: str) -> str:
    return base64.b64encode(_md5(biz_content + private_key)).decode("ascii")


def business_password(plain: str) -> str:
    """What an MY/VN client sends as ``password``: upper-case hex MD5 of plain + "jadada369t3"."""
    return _md5(plain + MY_SALT).hex().upper()


def processed_cn_password(plain: str) -> str:
    """The CN/EG "processed" password; a ready 32-hex value is taken as already processed."""
    return plain.upper() if HEX32.match(plain) else _md5(plain + CN_SALT).hex().upper()


def business_digest(customer_code: str, plain_password: str, private_key: str) -> str:
    return base64.b64encode(_md5(customer_code + processed_cn_password(plain_password) + private_key)).decode("ascii")


def equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def password_form(sent: str, account_password: str, forms: list[str]) -> str | None:
    """Which accepted form ``sent`` matches for this account (None: no match).

    ``ready``: the account's password is itself a 32-hex value and was sent as is (case-insensitive).
    ``salted_md5`` / ``md5``: upper-case hex MD5 of plain + salt / of plain (compared case-insensitively).
    ``plain``: the plain password.
    """
    if HEX32.match(account_password):
        return "ready" if equal(sent.upper(), account_password.upper()) else None
    if "salted_md5" in forms and equal(sent.upper(), business_password(account_password)):
        return "salted_md5"
    if "md5" in forms and equal(sent.upper(), _md5(account_password).hex().upper()):
        return "md5"
    if "plain" in forms and equal(sent, account_password):
        return "plain"
    return None
