"""Flash Express route actions, parcel states and webhook types mapped to the normalised tracking language, as data.

Route actions are Flash's published vocabulary (https://open-docs.flashexpress.com/#route-action, as captured
in api-evangelist/flash-express ``asyncapi/flash-express-webhooks.yml``). Flash publishes no meaning per
action beyond its name, so the tag choices are ours (AfterShip sub-statuses), not Flash's. Events are mapped
by ``routeAction`` first: the parcel ``state`` 1-9 is published only as a PDF diagram
(https://open-docs.flashexpress.com/download/status.pdf) and two integrations disagree on 4, 6 and 7, so a
state is used only when an event carries no route action, and the disputed ones never end a parcel.
Unknown codes are flagged ``unmapped``, never guessed.
"""

from __future__ import annotations

from kiriman.carriers.tracking import Mapped

_F = frozenset

# Flags the domain acts on, beyond the shared ones ("cancelled", "return_leg", "remeasured"):
# "refetch_required": the event touches money (re-weigh, re-price, return to sender) -> the tracking worker
#   re-reads /routes (and the charge) instead of believing the webhook payload.
# "unverified_payload": the webhook's signature covered only mchId and nonceStr, not the payload.
REFETCH = "refetch_required"
UNVERIFIED = "unverified_payload"

ROUTE_ACTIONS: dict[str, Mapped] = {
    "RECEIVED": Mapped("InTransit_002"),  # the courier picked the parcel up (state 1)
    "RECEIVE_WAREHOUSE_SCAN": Mapped("InTransit_003"),  # in at the first branch
    "SHIPMENT_WAREHOUSE_SCAN": Mapped("InTransit_007"),  # out of a branch / hub
    "ARRIVAL_WAREHOUSE_SCAN": Mapped("InTransit_003"),  # in at a hub / the delivering branch
    "DELIVERY_TICKET_CREATION_SCAN": Mapped("OutForDelivery_001"),  # handed to a courier for delivery (state 3)
    "DETAIN_WAREHOUSE": Mapped("Exception_005"),  # held at a branch
    "DELIVERY_CONFIRM": Mapped("Delivered_001"),  # signed for (state 5)
    "DIFFICULTY_HANDOVER": Mapped("AttemptFail_001"),  # a problem parcel handed back by the courier
    "DIFFICULTY_RE_TRANSIT": Mapped("AttemptFail_001"),  # problem parcel sent out again
    "CONTINUE_TRANSPORT": Mapped("InTransit_008"),  # problem settled, moving again
    "CANCEL_PARCEL": Mapped("Exception_001", _F({"cancelled"})),
    "CHANGE_PARCEL_CANCEL": Mapped("Exception_001", _F({"cancelled"})),
    "CHANGE_PARCEL_SIGNED": Mapped("Delivered_001"),  # staff marked it signed
    "CHANGE_PARCEL_CLOSE": Mapped("Exception_001", _F({"closed", REFETCH})),  # staff closed it: ask why
    "CHANGE_PARCEL_IN_TRANSIT": Mapped("InTransit_001"),  # staff put it back in transit
    "DIFFICULTY_FINISH_INDEMNITY": Mapped("Exception_001", _F({"indemnified", REFETCH})),  # settled by compensation
    "SYSTEM_AUTO_RETURN": Mapped("Exception_010", _F({"return_leg", REFETCH})),  # return to sender (is charged)
    # Information only: the parcel's status does not move.
    "HURRY_PARCEL": Mapped("InTransit_001", _F({"no_status_change"})),  # someone chased the parcel
    "CHANGE_PARCEL_INFO": Mapped("InTransit_001", _F({"no_status_change"})),
    "CUSTOMER_CHANGE_PARCEL_INFO": Mapped("InTransit_001", _F({"no_status_change"})),
    "REVISION_TIME": Mapped("InTransit_001", _F({"no_status_change"})),  # delivery time revised
}

# Parcel states, UNCONFIRMED (see the module docstring), used only when an event has no route action.
# 1, 2, 3 and 5 agree across sources. 7 = returned and 8 / 9 = closed / cancelled follow the one integration
# that lists them (another reads 7 as cancelled: terminal either way); 4 and 6 are disputed outright, so
# they only say "something happened, re-read the routes". All are flagged ``unconfirmed_state``.
_U = "unconfirmed_state"
_DISPUTED = Mapped("Exception_001", _F({_U, REFETCH}))
STATES: dict[str, Mapped] = {
    "1": Mapped("InTransit_002"),
    "2": Mapped("InTransit_001"),
    "3": Mapped("OutForDelivery_001"),
    "4": _DISPUTED,  # detained (one source) or failed attempt (another)
    "5": Mapped("Delivered_001"),
    "6": _DISPUTED,  # problem parcel or returned
    "7": Mapped("Exception_011", _F({"return_leg", _U, REFETCH})),
    "8": Mapped("Exception_001", _F({"cancelled", _U})),  # closed
    "9": Mapped("Exception_001", _F({"cancelled", _U})),
}
# The parcel exists at Flash but has no scan yet (routes empty): the carrier has the electronic order.
NO_SCAN_YET = Mapped("InfoReceived_001")

# webhookApiCode -> kind (https://open-docs.flashexpress.com/#web-hook-api): one subscription per type.
WEBHOOK_TYPES: dict[str, str] = {"0": "status", "1": "weight", "2": "price", "3": "courier", "4": "routes"}
SUBSCRIBED_TYPES = ("0", "1", "2", "4")  # courier assignment (3) says nothing a merchant acts on
# Weight and price webhooks change what we owe, never the parcel's tag: re-read, do not believe.
WEBHOOK_ONLY: dict[str, Mapped] = {
    "weight": Mapped("InTransit_001", _F({"remeasured", "no_status_change", REFETCH})),
    "price": Mapped("InTransit_001", _F({"repriced", "no_status_change", REFETCH})),
    "courier": Mapped("InfoReceived_001", _F({"courier_assigned", "no_status_change"})),
}

UNMAPPED = Mapped("InTransit_001", _F({"unmapped", "no_status_change"}))


def lookup(route_action: str, state: str = "") -> Mapped:
    """Map one event: by route action when it has one, else (UNCONFIRMED) by the parcel state."""
    if route_action:
        return ROUTE_ACTIONS.get(route_action.strip().upper(), UNMAPPED)
    return STATES.get(state.strip(), UNMAPPED)
