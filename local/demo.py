"""``python -m local demo``: the main job on the local stack, end to end, through its public doors.

It starts a fresh stack, runs every stage the project has so far, prints what happened and always
writes ``out/summary.json``: one integer per stage (0 when nothing got there), breakdowns in
``*_by_*`` keys. Scripts read that file, so its keys are only ever added, never renamed.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local.config import StackOptions, write_json_atomic

log = logging.getLogger("local.demo")

STAGES = (
    "merchants", "api_keys_issued", "health_ok", "shops_connected", "orders_synced",
    "packages", "labels_bought", "carrier_purchases", "duplicate_purchases", "shopee_handed_back",
    "label_files", "own_labels", "zpl_labels", "pick_lists", "manifests",
)

# The forwarder's warehouses, one per market the demo shops sell in (addresses are public landmarks).
WAREHOUSES = {
    "SG": ("Kiriman Ubi DC", "+6560000001", "10 Ubi Crescent", "Singapore", "408564"),
    "MY": ("Kiriman Shah Alam DC", "+60355000001", "Lot 5, Jalan Utas 15/7", "Shah Alam", "40200"),
    "TH": ("Kiriman Bangna DC", "+6621234567", "88 Bangna-Trad Rd", "Bangkok", "10260"),
    "VN": ("Kiriman Tan Binh DC", "+842838000001", "15 Cong Hoa", "Ho Chi Minh City", "700000"),
    "PH": ("Kiriman Pasig DC", "+6325550001", "1 Ortigas Ave", "Pasig", "1605"),
    "TW": ("Kiriman Taoyuan DC", "+88633000001", "No. 9 Hangzhan S Rd", "Taoyuan", "337"),
}
CURRENCIES = {"SG": "SGD", "MY": "MYR", "TH": "THB", "VN": "VND", "PH": "PHP", "ID": "IDR"}


def _request(method: str, url: str, key: str | None = None, body: Any = None, follow: bool = True) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(_NoRedirect())
    try:
        with opener.open(req, timeout=60) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw[:1] in (b"{", b"[") else raw.decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw)
        except ValueError:
            return exc.code, raw.decode("utf-8", "replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def wait_for(check: Callable[[], bool], timeout_s: float, every_s: float = 0.5) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(every_s)
    return check()


def connect_shops(state: dict[str, Any], summary: dict[str, Any]) -> None:
    """Each demo merchant authorizes the sandbox shops of its market through the real redirect flow."""
    shopee = state.get("shopee") or {}
    api = state["api"]["base_url"]
    connected = 0
    by_market: dict[str, int] = {}
    for shop in shopee.get("shops", []):
        merchant = state["merchants"][connected % len(state["merchants"])]
        status, out = _request("POST", f"{api}/v1/shops/authorize", merchant["api_key"], {})
        if status != 200:
            log.warning("authorize for shop %s: HTTP %s %s", shop["shop_id"], status, out)
            continue
        # The seller logs in as this shop on the sandbox's page, which approves and redirects to our
        # public callback.
        _request(
            "POST", f"{shopee['control_url'].rstrip('/')}/auth-mode", None, {"mode": "shop", "shop_id": shop["shop_id"]}
        )
        status, body = _request("GET", out["authorization_url"])
        if status == 200 and shop["shop_id"] in (body or {}).get("shop_ids", []):
            connected += 1
            by_market[shop["region"]] = by_market.get(shop["region"], 0) + 1
            shop["merchant_id"] = merchant["merchant_id"]
        else:
            log.warning("callback for shop %s: HTTP %s %s", shop["shop_id"], status, body)
    summary["shops_connected"] = connected
    summary["shops_connected_by_market"] = by_market


def count_orders(state: dict[str, Any]) -> int:
    api = state["api"]["base_url"]
    total = 0
    for merchant in state["merchants"]:
        cursor = None
        while True:
            q = "?limit=100" + (f"&cursor={cursor}" if cursor else "")
            status, page = _request("GET", f"{api}/v1/orders{q}", merchant["api_key"])
            if status != 200:
                return total
            total += len(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                break
    return total


def sandbox_order_count(state: dict[str, Any]) -> int:
    shopee = state.get("shopee") or {}
    status, ledger = _request("GET", f"{shopee['control_url'].rstrip('/')}/ledger")
    if status != 200:
        return -1
    shops = {s["shop_id"] for s in shopee.get("shops", []) if s.get("merchant_id")}
    return sum(1 for o in ledger.get("orders", []) if o.get("shop_id") in shops)


def setup_fulfilment(state: dict[str, Any], summary: dict[str, Any]) -> None:
    """The forwarder's warehouses, its Ninja Van accounts (the sandbox's) and a country-wide rate card each."""
    api, op = state["api"]["base_url"], state["operator"]["api_key"]
    for market, (name, phone, line1, city, postcode) in WAREHOUSES.items():
        body = {"name": name, "markets": [market], "address": {"name": name, "phone": phone, "line1": line1,
                                                                "city": city, "postcode": postcode, "country": market}}
        status, out = _request("POST", f"{api}/v1/warehouses", op, body)
        if status != 201:
            log.warning("warehouse %s: HTTP %s %s", market, status, out)
    accounts = 0
    for acct in (state.get("ninjavan") or {}).get("accounts", []):
        for cc in acct.get("countries", []):
            country = cc.upper()
            body = {"carrier": "ninjavan", "name": f"Ninja Van {country}", "country": country,
                    "credentials": {"client_id": acct["client_id"], "client_secret": acct["client_secret"]},
                    "settings": {"shipper_prefix": acct["shipper_prefix"]}, "services": ["Standard"]}
            status, account = _request("POST", f"{api}/v1/carrier-accounts", op, body)
            if status != 201:
                log.warning("ninja van account %s: HTTP %s %s", country, status, account)
                continue
            accounts += 1
            card = {"account_id": account["account_id"], "service": "Standard", "currency": CURRENCIES[country],
                    "valid_from": "2026-01-01T00:00:00+00:00", "origin_country": country, "rounding_step_g": 500,
                    "zones": [{"id": country.lower(), "name": country, "country": country, "transit_days_min": 1,
                               "transit_days_max": 3, "first_weight_g": 500, "first_price": "3.50", "step_g": 500,
                               "step_price": "1.20"}]}
            status, out = _request("POST", f"{api}/v1/rate-cards", op, card)
            if status != 201:
                log.warning("rate card %s: HTTP %s %s", country, status, out)
    summary["carrier_accounts"] = accounts


def _shipments(state: dict[str, Any], status: str) -> list[dict[str, Any]]:
    return [s for merchant in state["merchants"] for s in _merchant_shipments(state, merchant["api_key"], status)]


def _merchant_shipments(state: dict[str, Any], key: str, status: str) -> list[dict[str, Any]]:
    api, cursor = state["api"]["base_url"], ""
    items: list[dict[str, Any]] = []
    while True:
        code, page = _request("GET", f"{api}/v1/shipments?status={status}&limit=100"
                              + (f"&cursor={cursor}" if cursor else ""), key)
        if code != 200:
            return items
        items += page["items"]
        cursor = page.get("next_cursor") or ""
        if not cursor:
            return items


def _download(url: str, path: Path) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:  # a presigned URL on the local S3
            path.write_bytes(resp.read())
        return True
    except (urllib.error.URLError, OSError) as exc:
        log.warning("download %s: %s", path.name, exc)
        return False


def _label_link(api: str, key: str, sid: str, fmt: str, source: str, deadline: float) -> dict[str, Any] | None:
    """The label's presigned URL; our own labels are rendered a few seconds after the purchase (409 until)."""
    while True:
        code, body = _request("GET", f"{api}/v1/shipments/{sid}/label?format={fmt}&source={source}", key)
        if code == 200:
            return dict(body)
        if code != 409 or time.monotonic() > deadline:
            log.warning("label %s %s/%s: HTTP %s %s", sid, fmt, source, code, body)
            return None
        time.sleep(1)


def write_documents(state: dict[str, Any], summary: dict[str, Any], out_dir: Path, timeout_s: float = 120) -> None:
    """Every bought label to out/labels/: the printed PDF (the carrier's when it gave one), our own 100x150 mm
    PDF and its ZPL; then one pick list and one end-of-day manifest to out/."""
    api = state["api"]["base_url"]
    labels = out_dir / "labels"
    labels.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_s
    counts = {"label_files": 0, "own_labels": 0, "zpl_labels": 0}
    own_by_market: dict[str, int] = {}
    markets = {int(s["shop_id"]): s["region"] for s in (state.get("shopee") or {}).get("shops", [])}
    for merchant in state["merchants"]:
        key = merchant["api_key"]
        for s in _merchant_shipments(state, key, "bought"):
            sid = f"{s['shop_id']}.{s['order_sn']}.{s['package_number'] or '-'}"
            for fmt, source, name, counter in (("pdf", "auto", f"{sid}.pdf", "label_files"),
                                               ("pdf", "ours", f"{sid}.ours.pdf", "own_labels"),
                                               ("zpl", "ours", f"{sid}.zpl", "zpl_labels")):
                link = _label_link(api, key, sid, fmt, source, deadline)
                if link and _download(link["url"], labels / name):
                    counts[counter] += 1
                    if counter == "own_labels":
                        market = markets.get(int(s["shop_id"]), "?")
                        own_by_market[market] = own_by_market.get(market, 0) + 1
    summary.update(counts)
    summary["own_labels_by_market"] = own_by_market
    summary["pick_lists"], summary["manifests"] = _paperwork(state, out_dir, deadline)


def _document(api: str, key: str, body: dict[str, Any], path: Path, deadline: float) -> bool:
    code, made = _request("POST", f"{api}/v1/documents", key, body)
    if code != 202:
        return False
    while time.monotonic() < deadline:
        code, doc = _request("GET", f"{api}/v1/documents/{made['document_id']}", key)
        if code == 200 and doc.get("status") == "done":
            return _download(doc["url"], path)
        if code != 200 or doc.get("status") == "failed":
            log.warning("document %s: HTTP %s %s", body.get("kind"), code, doc)
            return False
        time.sleep(1)
    return False


def _paperwork(state: dict[str, Any], out_dir: Path, deadline: float) -> tuple[int, int]:
    """One pick list (the day's wave of bought parcels) and one manifest (a warehouse's Ninja Van handover)."""
    api = state["api"]["base_url"]
    _, health = _request("GET", f"{api}/v1/health")
    today = str((health or {}).get("time", ""))[:10] if isinstance(health, dict) else ""
    _, page = _request("GET", f"{api}/v1/warehouses?limit=100", state["operator"]["api_key"])
    warehouses = [w["warehouse_id"] for w in (page or {}).get("items", [])] if isinstance(page, dict) else []
    pick_lists = manifests = 0
    for merchant in state["merchants"]:
        key = merchant["api_key"]
        if not pick_lists and _document(api, key, {"kind": "pick_list", "wave": {}}, out_dir / "pick-list.pdf",
                                        deadline):
            pick_lists = 1
        if manifests or not today:
            continue
        from datetime import date, timedelta

        day = date.fromisoformat(today)
        for wid in warehouses:
            for when in (day, day + timedelta(days=1), day - timedelta(days=1)):
                body = {"kind": "manifest", "format": "pdf",
                        "manifest": {"warehouse_id": wid, "carrier": "ninjavan", "date": when.isoformat()}}
                if _document(api, key, body, out_dir / "manifest.pdf", deadline):
                    manifests = 1
                    break
            if manifests:
                break
    return pick_lists, manifests


def wait_for_labels(state: dict[str, Any], timeout_s: float) -> None:
    """Until no purchase is in progress, no label lacks its tracking number, and the counts hold still."""
    api = state["api"]["base_url"]
    last: tuple[int, int] | None = None
    steady = 0
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        bought = _shipments(state, "bought")
        busy = len(_shipments(state, "in_progress")) + sum(1 for b in bought if not b["handed_back"])
        now = (len(bought), len(_shipments(state, "needs_attention")))
        if busy:  # Shopee assigns tracking numbers a minute after ship_order: let the shared clock run
            _request("POST", f"{api}/_local/clock/advance", None, {"seconds": 90})
        steady = steady + 1 if (now == last and not busy and now[0]) else 0
        last = now
        if steady >= 3:
            return
        time.sleep(2)


def fulfilment_summary(state: dict[str, Any], summary: dict[str, Any]) -> None:
    bought = _shipments(state, "bought")
    attention = _shipments(state, "needs_attention")
    summary["packages"] = len(bought) + len(attention) + len(_shipments(state, "in_progress"))
    summary["labels_bought"] = len(bought)
    by_carrier: dict[str, int] = {}
    for b in bought:
        by_carrier[b["carrier"]] = by_carrier.get(b["carrier"], 0) + 1
    summary["labels_bought_by_carrier"] = by_carrier
    summary["needs_attention"] = len(attention)
    summary["shopee_handed_back"] = sum(1 for b in bought if b["handed_back"])
    purchases, duplicates = 0, 0
    nv = state.get("ninjavan") or {}
    if nv.get("control_url"):
        code, ledger = _request("GET", f"{nv['control_url'].rstrip('/')}/ledger")
        if code == 200:
            counts = list(ledger.get("purchases_by_package", {}).values())
            purchases += sum(counts)
            duplicates += sum(max(0, n - 1) for n in counts)
    shopee = state.get("shopee") or {}
    if shopee.get("control_url"):
        code, ledger = _request("GET", f"{shopee['control_url'].rstrip('/')}/ledger?include=ship,orders")
        if code == 200:
            # Arrangements Shopee's logistics made (pickup / drop-off); a non-integrated ship_order only
            # hands a carrier's number back and buys nothing.
            bought_by_shopee = {p["package_number"] for p in ledger.get("packages", [])
                                if p.get("ship_method") in ("pickup", "dropoff")}
            calls = ledger.get("ship_order_calls", {})
            oks = [int(v.get("ok", 0)) for pn, v in calls.items() if pn in bought_by_shopee]
            purchases += sum(oks)
            duplicates += sum(max(0, n - 1) for n in oks)
    summary["carrier_purchases"] = purchases
    summary["duplicate_purchases"] = duplicates


def run(state_dir: Path, timeout_s: float = 240) -> tuple[dict[str, Any], bool]:
    from local.stack import LocalStack

    summary: dict[str, Any] = dict.fromkeys(STAGES, 0)
    stack = LocalStack(StackOptions(port=0, state_dir=state_dir, time_scale=0.2, min_timeout_s=3.0))
    ok = True
    try:
        state = stack.start()
        api = state["api"]["base_url"]
        summary["merchants"] = len(state["merchants"])
        summary["api_keys_issued"] = len([m for m in state["merchants"] if m.get("api_key")]) + int(
            bool(state["operator"]["api_key"])
        )
        status, _ = _request("GET", f"{api}/v1/health")
        summary["health_ok"] = int(status == 200)
        if state.get("shopee"):
            setup_fulfilment(state, summary)
            connect_shops(state, summary)
            expected = sandbox_order_count(state)
            wait_for(lambda: count_orders(state) >= expected, timeout_s)
            summary["orders_synced"] = count_orders(state)
            summary["orders_in_sandbox"] = expected
            ok = ok and summary["orders_synced"] == expected
            # Fresh orders are held for their first hour (Shopee: the buyer may still cancel freely);
            # let the fulfil events land, then move the shared clock past it. The due sweep releases them.
            time.sleep(3)
            _request("POST", f"{state['api']['base_url']}/_local/clock/advance", None, {"seconds": 3660})
            wait_for_labels(state, timeout_s)
            fulfilment_summary(state, summary)
            ok = ok and summary["labels_bought"] > 0 and summary["duplicate_purchases"] == 0
            write_documents(state, summary, state_dir)
            ok = ok and summary["own_labels"] == summary["labels_bought"] and summary["pick_lists"] == 1
        ok = ok and summary["merchants"] > 0 and summary["health_ok"] == 1
    except Exception:
        log.exception("the demo failed")
        ok = False
    finally:
        stack.stop()
        summary["ok"] = int(ok)
        write_json_atomic(state_dir / "summary.json", summary)
    return summary, ok


def main(state_dir: Path) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    summary, ok = run(state_dir)
    print(json.dumps(summary, indent=2, sort_keys=True))
    print(f"demo {'succeeded' if ok else 'FAILED'}; summary in {state_dir / 'summary.json'}")
    return 0 if ok else 1
