"""Order APIs: list window and paging, detail fields and batch limit, golden shapes, work lists, split, cancel."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import Api, Clock, Grant, same_shape, sample

LIST = "/api/v2/order/get_order_list"
DETAIL = "/api/v2/order/get_order_detail"
ALL_FIELDS = (
    "buyer_user_id,buyer_username,estimated_shipping_fee,recipient_address,actual_shipping_fee,"
    "goods_to_declare,note,note_update_time,item_list,pay_time,dropshipper,dropshipper_phone,split_up,"
    "buyer_cancel_reason,cancel_by,cancel_reason,actual_shipping_fee_confirmed,buyer_cpf_id,"
    "fulfillment_flag,pickup_done_time,package_list,shipping_carrier,payment_method,total_amount,"
    "invoice_data,order_chargeable_weight_gram,reverse_shipping_fee"
)
# Fields the sandbox returns beyond the published sample (documented on the reference page)
DETAIL_EXTRA = frozenset(
    {
        "pending_terms",
        "advance_package",
        "booking_sn",
        "order_chargeable_weight_gram",
        "actual_shipping_fee",
        "return_request_due_date",
    }
)


def _window(clock: Clock, days: float = 15) -> dict[str, Any]:
    now = int(clock.now())
    return {"time_range_field": "create_time", "time_from": now - int(days * 86400), "time_to": now}


def _all_pages(api: Api, grant: Grant, params: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(100):
        out = api.get(LIST, {**params, "cursor": cursor}, grant=grant)
        assert out["error"] == "", out
        resp = out["response"]
        rows += resp["order_list"]
        if not resp["more"]:
            assert resp["next_cursor"] == ""
            return rows
        cursor = resp["next_cursor"]
        assert cursor
    raise AssertionError("paging did not end")


@pytest.fixture(scope="module")
def sg(env: Any) -> Grant:
    api: Api = env.api
    return api.authorize(220_000_101)


def test_list_shape_matches_the_sample(api: Api, clock: Clock, sg: Grant) -> None:
    out = api.get(LIST, {**_window(clock), "page_size": 3}, grant=sg)
    same_shape(sample("get_order_list.response.json"), out)
    assert out["response"]["more"] is True
    assert all(set(row) <= {"order_sn", "booking_sn"} for row in out["response"]["order_list"])


def test_fifteen_day_window(api: Api, clock: Clock, sg: Grant) -> None:
    too_wide = api.get(LIST, {**_window(clock, 15.01), "page_size": 10}, grant=sg)
    assert (too_wide["error"], too_wide["message"]) == (
        "order.order_list_invalid_time",
        "Start time must be earlier than end time and diff in 15days.",
    )
    same_shape(sample("get_order_list.error.json"), too_wide)
    params = _window(clock)
    backwards = {**params, "time_from": params["time_to"], "time_to": params["time_from"], "page_size": 10}
    assert api.get(LIST, backwards, grant=sg)["error"] == "order.order_list_invalid_time"
    assert api.get(LIST, {**params, "page_size": 10}, grant=sg)["error"] == ""
    bad_field = api.get(LIST, {**params, "time_range_field": "pay_time", "page_size": 10}, grant=sg)
    assert bad_field["error"] == "error_param"


def test_page_size_limits(api: Api, clock: Clock, sg: Grant) -> None:
    for size in (0, 101):
        out = api.get(LIST, {**_window(clock), "page_size": size}, grant=sg)
        assert out["error"] == "error_param", size
    assert api.get(LIST, _window(clock), grant=sg)["error"] == "error_param"  # page_size is required
    assert api.get(LIST, {**_window(clock), "page_size": 100}, grant=sg)["error"] == ""


def test_paging_is_complete_and_without_duplicates(api: Api, clock: Clock) -> None:
    shop_id = api.new_shop("MY")
    created = set(api.new_orders(shop_id, 23)) | set(api.new_orders(shop_id, 4, status="UNPAID"))
    grant = api.authorize(shop_id)
    rows = _all_pages(api, grant, {**_window(clock, 1), "page_size": 5})
    sns = [r["order_sn"] for r in rows]
    assert len(sns) == len(set(sns)) == 27
    assert set(sns) == created
    # filter + optional order_status
    ready = _all_pages(
        api,
        grant,
        {
            **_window(clock, 1),
            "page_size": 7,
            "order_status": "READY_TO_SHIP",
            "response_optional_fields": "order_status",
        },
    )
    assert len(ready) == 23 and {r["order_status"] for r in ready} == {"READY_TO_SHIP"}
    # a garbled cursor is a parameter error, not a silent restart
    assert api.get(LIST, {**_window(clock, 1), "page_size": 5, "cursor": "20"}, grant=grant)["error"] == "error_param"


def test_update_time_window_sees_changes(api: Api, clock: Clock) -> None:
    shop_id = api.new_shop("SG")
    grant = api.authorize(shop_id)
    [sn] = api.new_orders(shop_id, 1, age_s=5 * 86400)
    since = int(clock.now()) - 60
    params = {"time_range_field": "update_time", "time_from": since, "time_to": since + 86400, "page_size": 50}
    assert sn not in {r["order_sn"] for r in _all_pages(api, grant, params)}
    api.post("/api/v2/order/set_note", {"order_sn": sn, "note": "fragile"}, grant=grant)
    assert sn in {r["order_sn"] for r in _all_pages(api, grant, params)}


def test_seed_covers_the_15_day_boundary(api: Api, clock: Clock, sg: Grant) -> None:
    recent = _all_pages(api, sg, {**_window(clock), "page_size": 100})
    now = int(clock.now())
    older = _all_pages(
        api,
        sg,
        {
            "time_range_field": "create_time",
            "time_from": now - 30 * 86400,
            "time_to": now - 15 * 86400,
            "page_size": 100,
        },
    )
    assert recent and older
    assert not {r["order_sn"] for r in recent} & {r["order_sn"] for r in older}


def test_detail_golden_shape(api: Api, clock: Clock, sg: Grant) -> None:
    sns = [r["order_sn"] for r in _all_pages(api, sg, {**_window(clock), "page_size": 100})]
    out = api.get(DETAIL, {"order_sn_list": ",".join(sns[:50]), "response_optional_fields": ALL_FIELDS}, grant=sg)
    assert out["error"] == ""
    golden = sample("get_order_detail.response.json")
    golden_order = golden["response"]["order_list"][0]
    for order in out["response"]["order_list"]:
        if order["order_status"] == "UNPAID":
            assert order["pay_time"] is None  # "null until paid"
            order = {**order, "pay_time": 0}
        same_shape(golden_order, order, allow_extra=DETAIL_EXTRA)
    same_shape({k: v for k, v in golden.items() if k != "response"}, {k: v for k, v in out.items() if k != "response"})


def test_detail_returns_optional_fields_only_when_asked(api: Api, clock: Clock, sg: Grant) -> None:
    sn = _all_pages(api, sg, {**_window(clock), "page_size": 1})[0]["order_sn"]
    bare = api.get(DETAIL, {"order_sn_list": sn}, grant=sg)["response"]["order_list"][0]
    assert {
        "order_sn",
        "region",
        "currency",
        "cod",
        "order_status",
        "message_to_seller",
        "create_time",
        "update_time",
        "days_to_ship",
        "ship_by_date",
    } <= set(bare)
    assert not {"item_list", "package_list", "recipient_address", "total_amount", "shipping_carrier"} & set(bare)
    rich = api.get(DETAIL, {"order_sn_list": sn, "response_optional_fields": "item_list,package_list"}, grant=sg)[
        "response"
    ]["order_list"][0]
    assert "item_list" in rich and "package_list" in rich and "recipient_address" not in rich
    assert all(isinstance(i["weight"], float) and i["weight"] > 0 for i in rich["item_list"])


def test_detail_batch_limit_and_not_found(api: Api, clock: Clock, sg: Grant) -> None:
    sns = [r["order_sn"] for r in _all_pages(api, sg, {**_window(clock), "page_size": 100})]
    fifty = (sns * 5)[:50]
    assert api.get(DETAIL, {"order_sn_list": ",".join(fifty)}, grant=sg)["error"] == ""
    fifty_one = [*fifty, "2401010000000X"]
    assert api.get(DETAIL, {"order_sn_list": ",".join(fifty_one)}, grant=sg)["error"] == "error_param"
    missing = api.get(DETAIL, {"order_sn_list": "2401010000000X"}, grant=sg)
    assert missing == {**sample("get_order_detail.error.json"), "request_id": missing["request_id"]}
    partly = api.get(DETAIL, {"order_sn_list": f"{sns[0]},2401010000000X"}, grant=sg)
    assert len(partly["response"]["order_list"]) == 1 and partly["warning"]
    assert api.get(DETAIL, {}, grant=sg)["error"] == "error_param"


def test_other_shops_orders_are_not_visible(api: Api, clock: Clock, sg: Grant) -> None:
    other = api.authorize(220_000_102)
    sn = _all_pages(api, other, {**_window(clock), "page_size": 1})[0]["order_sn"]
    assert api.get(DETAIL, {"order_sn_list": sn}, grant=sg)["error"] == "error_not_found"


def test_seed_has_realistic_variety(api: Api, clock: Clock) -> None:
    ledger = api.control("GET", "ledger?include=orders")
    orders = ledger["orders"]
    regions = {s["region"] for s in api.control("GET", "shops")["shops"]}
    assert {"SG", "MY", "TH", "VN", "PH", "TW"} <= regions
    shops = {s["shop_id"]: s for s in api.control("GET", "shops")["shops"]}
    assert shops[220_000_107]["cross_border"] and shops[220_000_107]["merchant_region"] == "CN"
    assert any(o["cod"] for o in orders)
    assert any(o["split_up"] and len(o["package_numbers"]) > 1 for o in orders)
    assert any(o["fulfillment_flag"] == "fulfilled_by_shopee" for o in orders)
    assert any(o["fulfillment_flag"] == "fulfilled_by_cb_seller" for o in orders)
    assert any(o["advance_package"] and o["booking_sn"] for o in orders)
    assert any(o["order_status"] == "UNPAID" for o in orders)
    # recipients in Thai, Vietnamese, Chinese and Latin script
    names = []
    for shop_id in (220_000_103, 220_000_104, 220_000_106, 220_000_101):
        grant = api.authorize(shop_id)
        sns = [r["order_sn"] for r in _all_pages(api, grant, {**_window(clock), "page_size": 100})]
        detail = api.get(
            DETAIL, {"order_sn_list": ",".join(sns[:50]), "response_optional_fields": "recipient_address"}, grant=grant
        )
        names += [
            o["recipient_address"]["name"]
            for o in detail["response"]["order_list"]
            if o["order_status"] == "READY_TO_SHIP"
        ]
    joined = "".join(names)
    assert any("\u0e00" <= ch <= "\u0e7f" for ch in joined), "Thai"
    assert any(ch in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ" for ch in joined.lower()), "Vietnamese"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in joined), "Chinese"
    assert any(ch.isascii() and ch.isalpha() for ch in joined), "Latin"


def test_advance_orders_carry_booking_sn_in_the_list(api: Api, clock: Clock) -> None:
    grant = api.authorize(220_000_103)
    rows = _all_pages(api, grant, {**_window(clock), "page_size": 100})
    booked = [r for r in rows if "booking_sn" in r]
    assert booked
    detail = api.get(DETAIL, {"order_sn_list": booked[0]["order_sn"]}, grant=grant)["response"]["order_list"][0]
    assert detail["advance_package"] is True and detail["booking_sn"] == booked[0]["booking_sn"]


def test_shipment_list_and_search_package_list(api: Api) -> None:
    shop_id = api.new_shop("TH")
    grant = api.authorize(shop_id)
    ready = api.new_orders(shop_id, 6)
    api.new_orders(shop_id, 2, status="PROCESSED")
    api.new_orders(shop_id, 1, fulfilled_by_shopee=True)
    api.new_orders(shop_id, 1, status="UNPAID")
    seen = []
    cursor = ""
    while True:
        out = api.get("/api/v2/order/get_shipment_list", {"page_size": 4, "cursor": cursor}, grant=grant)
        assert out["error"] == ""
        seen += [r["order_sn"] for r in out["response"]["order_list"]]
        if not out["response"]["more"]:
            break
        cursor = out["response"]["next_cursor"]
    assert sorted(seen) == sorted(ready)
    too_big = api.get("/api/v2/order/get_shipment_list", {"page_size": 101}, grant=grant)
    assert too_big["message"] == "Wrong parameters, detail: page_size must be 100 or less."

    body = {
        "filter": {"package_status": 2},
        "pagination": {"page_size": 50, "cursor": ""},
        "sort": {"sort_type": 1, "ascending": True},
    }
    out = api.post("/api/v2/order/search_package_list", body, grant=grant)
    resp = out["response"]
    assert sorted(p["order_sn"] for p in resp["packages_list"]) == sorted(ready)
    assert resp["pagination"]["total_count"] == 6 and resp["pagination"]["more"] is False
    assert resp["sort"] == {"sort_type": 1, "is_asc": True}
    processed = api.post("/api/v2/order/search_package_list", {**body, "filter": {"package_status": 3}}, grant=grant)[
        "response"
    ]["packages_list"]
    assert len(processed) == 2 and all(p["is_shipment_arranged"] for p in processed)
    by_shopee = api.post(
        "/api/v2/order/search_package_list",
        {**body, "filter": {"package_status": 0, "fulfillment_type": 1}},
        grant=grant,
    )
    assert len(by_shopee["response"]["packages_list"]) == 1
    assert api.post("/api/v2/order/search_package_list", {"filter": {}}, grant=grant)["error"] == "error_param"


def test_package_detail(api: Api) -> None:
    shop_id = api.new_shop("VN")
    grant = api.authorize(shop_id)
    [sn] = api.new_orders(shop_id, 1, items=3, split=2)
    numbers = [p["package_number"] for p in api.order(sn)["packages"]]
    out = api.get("/api/v2/order/get_package_detail", {"package_number_list": ",".join(numbers)}, grant=grant)
    rows = out["response"]["package_list"]
    assert [r["package_number"] for r in rows] == numbers
    assert all(r["order_sn"] == sn and r["is_split_up"] and r["fulfillment_status"] == "LOGISTICS_READY" for r in rows)
    assert (
        api.get("/api/v2/order/get_package_detail", {"package_number_list": ",".join(["X"] * 51)}, grant=grant)["error"]
        == "error_param"
    )


def test_split_and_unsplit(api: Api) -> None:
    shop_id = api.new_shop("SG")
    grant = api.authorize(shop_id)
    [sn] = api.new_orders(shop_id, 1, items=3)
    items = api.order(sn)["order"]["items"]
    parcel = [
        {
            "item_id": i["item_id"],
            "model_id": i["model_id"],
            "order_item_id": i["order_item_id"],
            "promotion_group_id": 0,
        }
        for i in items
    ]
    missing = api.post(
        "/api/v2/order/split_order",
        {"order_sn": sn, "package_list": [{"item_list": parcel[:1]}, {"item_list": parcel[1:2]}]},
        grant=grant,
    )
    assert missing["error"] == "order.order_split_failed"
    dup = api.post(
        "/api/v2/order/split_order",
        {"order_sn": sn, "package_list": [{"item_list": parcel[:2]}, {"item_list": parcel[1:]}]},
        grant=grant,
    )
    assert dup["error"] == "order.order_split_duplicate_item"
    out = api.post(
        "/api/v2/order/split_order",
        {"order_sn": sn, "package_list": [{"item_list": parcel[:1]}, {"item_list": parcel[1:]}]},
        grant=grant,
    )
    assert out["error"] == "", out
    packages = out["response"]["package_list"]
    assert len(packages) == 2 and out["response"]["order_sn"] == sn
    again = api.post(
        "/api/v2/order/split_order",
        {"order_sn": sn, "package_list": [{"item_list": parcel[:1]}, {"item_list": parcel[1:]}]},
        grant=grant,
    )
    assert again["error"] == "order.order_has_been_split"
    detail = api.get(DETAIL, {"order_sn_list": sn, "response_optional_fields": "split_up,package_list"}, grant=grant)[
        "response"
    ]["order_list"][0]
    assert detail["split_up"] is True and len(detail["package_list"]) == 2
    unsplit = api.post("/api/v2/order/unsplit_order", {"order_sn": sn}, grant=grant)
    assert unsplit["error"] == "" and "response" not in unsplit
    assert len(api.order(sn)["packages"]) == 1
    api.control("POST", f"shops/{shop_id}", {"can_split": False})
    denied = api.post(
        "/api/v2/order/split_order",
        {"order_sn": sn, "package_list": [{"item_list": parcel[:1]}, {"item_list": parcel[1:]}]},
        grant=grant,
    )
    assert denied["error"] == "order.order_cannot_split"


def test_cancel_order(api: Api) -> None:
    shop_id = api.new_shop("MY")
    grant = api.authorize(shop_id)
    ready, processed = api.new_orders(shop_id, 1)[0], api.new_orders(shop_id, 1, status="PROCESSED")[0]
    fbs = api.new_orders(shop_id, 1, fulfilled_by_shopee=True)[0]
    cancel = "/api/v2/order/cancel_order"
    assert api.post(cancel, {"order_sn": ready, "cancel_reason": "OUT_OF_STOCK"}, grant=grant)["error"] == "error_param"
    assert api.post(cancel, {"order_sn": ready, "cancel_reason": "BORED"}, grant=grant)["error"] == "error_param"
    item = api.order(ready)["order"]["items"][0]
    out = api.post(
        cancel,
        {
            "order_sn": ready,
            "cancel_reason": "OUT_OF_STOCK",
            "item_list": [{"item_id": item["item_id"], "model_id": item["model_id"]}],
        },
        grant=grant,
    )
    assert out["error"] == "" and isinstance(out["response"]["update_time"], int)
    snap = api.order(ready)
    assert snap["order"]["status"] == "CANCELLED" and snap["order"]["cancel_by"] == "seller"
    assert snap["packages"][0]["logistics_status"] == "LOGISTICS_INVALID"
    late = api.post(cancel, {"order_sn": processed, "cancel_reason": "CUSTOMER_REQUEST"}, grant=grant)
    assert (late["error"], late["message"]) == ("order.error_limit", "Can not cancel this order")
    assert (
        api.post(cancel, {"order_sn": fbs, "cancel_reason": "CUSTOMER_REQUEST"}, grant=grant)["message"]
        == "You can not cancel warehouse order."
    )


def test_buyer_cancellation(api: Api) -> None:
    shop_id = api.new_shop("PH")
    grant = api.authorize(shop_id)
    a, b = api.new_orders(shop_id, 2)
    handle = "/api/v2/order/handle_buyer_cancellation"
    assert (
        api.post(handle, {"order_sn": a, "operation": "ACCEPT"}, grant=grant)["error"]
        == "order.cancel_order_invalid_status"
    )
    api.action(a, "cancel", {"request": True})
    api.action(b, "cancel", {"request": True})
    assert api.order(a)["order"]["status"] == "IN_CANCEL"
    assert api.post(handle, {"order_sn": a, "operation": "ACCEPT"}, grant=grant)["error"] == ""
    assert api.post(handle, {"order_sn": b, "operation": "REJECT"}, grant=grant)["error"] == ""
    assert api.order(a)["order"]["status"] == "CANCELLED"
    assert api.order(b)["order"]["status"] == "READY_TO_SHIP"
