"""Static market data: currencies, logistics channels, products and buyers per region.

Channel ids and names are sandbox inventions in the style of the published samples (for example VN 50021
in the v2.order.search_package_list page, 18080 "5-Day Delivery (SPX)" in v2.order.get_order_detail).
Shopee says channel ids are per market and per shop and must be fetched at runtime (v2.logistics.
get_channel_list), so a client must not hard-code these either.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# market -> (currency, UTC offset in hours)
REGIONS: dict[str, tuple[str, int]] = {
    "SG": ("SGD", 8),
    "MY": ("MYR", 8),
    "TH": ("THB", 7),
    "VN": ("VND", 7),
    "PH": ("PHP", 8),
    "TW": ("TWD", 8),
    "ID": ("IDR", 7),
    "BR": ("BRL", -3),
}

# Advance fulfilment exists in ID/PH/VN/TH (open.shopee.com push pages 26-28, booking_* pushes).
ADVANCE_FULFILMENT_REGIONS = frozenset({"ID", "PH", "VN", "TH"})

# Split limit per v2.order.split_order: 30 parcels in TW, 5 elsewhere.
SPLIT_LIMIT = {"TW": 30}
DEFAULT_SPLIT_LIMIT = 5


@dataclass(frozen=True)
class Channel:
    channel_id: int
    name: str
    region: str
    # Which ship_order method objects the channel accepts, with the fields info_needed lists for each.
    pickup: tuple[str, ...] | None = None
    dropoff: tuple[str, ...] | None = None
    non_integrated: tuple[str, ...] | None = None
    cod_enabled: bool = False
    cross_border: bool = False
    time_slots: bool = True  # False -> time_slot_list is null and Shopee schedules the pickup
    branches: bool = False  # dropoff branch_list offered
    tracking_prefix: str = "SPX"
    tracking_suffix: str = ""
    allow_self_design_awb: bool = False
    max_weight_kg: float = 30.0
    sorting_group: bool = False  # TW 30029 only, per v2.order.search_package_list
    document_types: tuple[str, ...] = ("THERMAL_AIR_WAYBILL", "NORMAL_AIR_WAYBILL")

    @property
    def methods(self) -> list[str]:
        out = []
        if self.pickup is not None:
            out.append("pickup")
        if self.dropoff is not None:
            out.append("dropoff")
        if self.non_integrated is not None:
            out.append("non_integrated")
        return out

    def needs(self, method: str) -> tuple[str, ...] | None:
        if method == "pickup":
            return self.pickup
        if method == "dropoff":
            return self.dropoff
        if method == "non_integrated":
            return self.non_integrated
        return None


_PICKUP = ("address_id", "pickup_time_id")
_PICKUP_NO_SLOT = ("address_id",)

CHANNELS: dict[int, Channel] = {
    c.channel_id: c
    for c in [
        # Singapore
        Channel(18099, "SPX Express", "SG", pickup=_PICKUP, dropoff=(), cod_enabled=True, tracking_prefix="SPXSG0"),
        Channel(18036, "Ninja Van", "SG", pickup=_PICKUP_NO_SLOT, time_slots=False, tracking_prefix="NVSGSPE"),
        Channel(18098, "Seller Own Fleet", "SG", non_integrated=("tracking_no",), tracking_prefix=""),
        # Malaysia
        Channel(
            28016,
            "SPX Express (West Malaysia)",
            "MY",
            pickup=_PICKUP,
            dropoff=(),
            cod_enabled=True,
            tracking_prefix="SPXMY0",
        ),
        Channel(28051, "J&T Express", "MY", pickup=_PICKUP, dropoff=(), cod_enabled=True, tracking_prefix="63"),
        Channel(28057, "Ninja Van", "MY", pickup=_PICKUP_NO_SLOT, time_slots=False, tracking_prefix="NVMYSPE"),
        # Thailand
        Channel(78020, "SPX Express", "TH", pickup=_PICKUP, dropoff=(), cod_enabled=True, tracking_prefix="TH0"),
        Channel(78004, "Flash Express", "TH", pickup=_PICKUP, dropoff=(), cod_enabled=True, tracking_prefix="TH0101"),
        Channel(78008, "J&T Express", "TH", dropoff=(), cod_enabled=True, tracking_prefix="8200"),
        # Vietnam
        Channel(
            50021,
            "SPX Express",
            "VN",
            pickup=_PICKUP,
            dropoff=(),
            cod_enabled=True,
            tracking_prefix="SPXVN0",
            allow_self_design_awb=True,
        ),
        Channel(50011, "Giao Hàng Nhanh", "VN", pickup=_PICKUP, cod_enabled=True, tracking_prefix="GHN"),
        Channel(
            50012, "Giao Hàng Tiết Kiệm", "VN", pickup=_PICKUP, dropoff=(), cod_enabled=True, tracking_prefix="S1906."
        ),
        # Philippines
        Channel(48002, "J&T Express", "PH", pickup=_PICKUP, dropoff=(), cod_enabled=True, tracking_prefix="7100"),
        Channel(48010, "SPX Express", "PH", pickup=_PICKUP, dropoff=(), cod_enabled=True, tracking_prefix="PH0"),
        Channel(48099, "Seller Own Fleet", "PH", non_integrated=("tracking_no",), tracking_prefix=""),
        # Taiwan
        Channel(
            30005,
            "7-ELEVEN",
            "TW",
            dropoff=("branch_id", "sender_real_name"),
            cod_enabled=True,
            branches=True,
            tracking_prefix="F",
            document_types=("THERMAL_AIR_WAYBILL",),
        ),
        Channel(
            30006,
            "全家",
            "TW",
            dropoff=("branch_id", "sender_real_name"),
            cod_enabled=True,
            branches=True,
            tracking_prefix="FM",
        ),
        Channel(30007, "黑貓宅急便", "TW", pickup=_PICKUP, tracking_prefix="9"),
        Channel(30029, "蝦皮店到店", "TW", dropoff=(), cod_enabled=True, tracking_prefix="TW", sorting_group=True),
        # Cross-border (SLS) channels: the sandbox guide says CB test shops support drop-off only.
        Channel(
            28080,
            "Standard Delivery (SLS)",
            "MY",
            dropoff=(),
            cross_border=True,
            cod_enabled=True,
            tracking_prefix="MY2",
            tracking_suffix="IT",
            allow_self_design_awb=True,
        ),
        Channel(
            18080,
            "Standard Delivery (SLS)",
            "SG",
            dropoff=(),
            cross_border=True,
            tracking_prefix="SG2",
            tracking_suffix="IT",
            allow_self_design_awb=True,
        ),
        Channel(
            78080,
            "Standard Delivery (SLS)",
            "TH",
            dropoff=(),
            cross_border=True,
            cod_enabled=True,
            tracking_prefix="TH2",
            tracking_suffix="IT",
            allow_self_design_awb=True,
        ),
        Channel(
            50080,
            "Standard Delivery (SLS)",
            "VN",
            dropoff=(),
            cross_border=True,
            cod_enabled=True,
            tracking_prefix="VN2",
            tracking_suffix="IT",
            allow_self_design_awb=True,
        ),
        Channel(
            48080,
            "Standard Delivery (SLS)",
            "PH",
            dropoff=(),
            cross_border=True,
            cod_enabled=True,
            tracking_prefix="PH2",
            tracking_suffix="IT",
            allow_self_design_awb=True,
        ),
        Channel(
            30080,
            "Standard Delivery (SLS)",
            "TW",
            dropoff=(),
            cross_border=True,
            cod_enabled=True,
            tracking_prefix="TW2",
            tracking_suffix="IT",
            allow_self_design_awb=True,
        ),
        # Fallbacks for markets without seeded shops
        Channel(
            88001, "Standard Delivery", "ID", pickup=_PICKUP, dropoff=(), cod_enabled=True, tracking_prefix="SPXID0"
        ),
        Channel(90001, "Padrão", "BR", pickup=_PICKUP, dropoff=(), tracking_prefix="BR"),
        Channel(
            88080,
            "Standard Delivery (SLS)",
            "ID",
            dropoff=(),
            cross_border=True,
            tracking_prefix="ID2",
            tracking_suffix="IT",
        ),
        Channel(
            90080,
            "Standard Delivery (SLS)",
            "BR",
            dropoff=(),
            cross_border=True,
            tracking_prefix="BR2",
            tracking_suffix="IT",
        ),
    ]
}


def channels_for(region: str, cross_border: bool) -> list[int]:
    return [c.channel_id for c in CHANNELS.values() if c.region == region and c.cross_border == cross_border]


@dataclass(frozen=True)
class Product:
    name: str
    sku: str
    model_name: str
    price: float
    weight_kg: float
    promotion_type: str = ""


@dataclass(frozen=True)
class Buyer:
    name: str
    phone: str
    town: str
    district: str
    city: str
    state: str
    zipcode: str
    full_address: str
    username: str = field(default="")


PRODUCTS: dict[str, list[Product]] = {
    "SG": [
        Product("Wireless Earbuds Pro", "WEP-01", "Black", 59.9, 0.12, "flash_sale"),
        Product("USB-C Fast Charger 65W", "CHG-65", "White", 29.9, 0.18),
        Product("Stainless Steel Tumbler 500ml", "TMB-500", "Silver", 19.9, 0.35),
        Product("Yoga Mat 6mm", "YGM-6", "Purple", 24.5, 1.1),
        Product("LED Desk Lamp", "LDL-2", "", 39.0, 0.9),
    ],
    "MY": [
        Product("Kain Batik Sarung", "BTK-01", "Biru", 45.0, 0.3),
        Product("Kopi Tongkat Ali 3-in-1 (20 sachet)", "KTA-20", "", 25.9, 0.5, "flash_sale"),
        Product("Telekung Sutera", "TLK-S", "Putih", 89.0, 0.4),
        Product("Phone Case iPhone 15", "PC-I15", "Clear", 15.9, 0.05),
        Product("Rice Cooker 1.8L", "RC-18", "", 129.0, 2.8),
    ],
    "TH": [
        Product("เสื้อยืดคอกลม ผ้าฝ้าย 100%", "TS-100", "สีขาว / L", 199, 0.2),
        Product("น้ำพริกเผา 500 กรัม", "NPP-500", "", 89, 0.6, "flash_sale"),
        Product("ครีมกันแดด SPF50 PA+++", "SUN-50", "50ml", 350, 0.08),
        Product("กระเป๋าผ้าทอมือ", "BAG-HW", "ลายช้าง", 450, 0.4),
        Product("หมอนยางพาราแท้", "PLW-LTX", "Standard", 990, 1.2),
    ],
    "VN": [
        Product("Áo thun nam cotton", "AT-NAM", "Đen / XL", 149000, 0.25),
        Product("Cà phê rang xay Buôn Ma Thuột 500g", "CF-BMT", "500g", 185000, 0.55, "flash_sale"),
        Product("Nón lá truyền thống", "NL-01", "", 65000, 0.15),
        Product("Kem chống nắng SPF50", "KCN-50", "50ml", 240000, 0.07),
        Product("Nồi chiên không dầu 5L", "NCKD-5", "Trắng", 1290000, 4.2),
    ],
    "PH": [
        Product("Dried Mangoes 200g", "DM-200", "", 189.0, 0.22, "flash_sale"),
        Product("Barong Tagalog", "BRG-M", "Medium", 1450.0, 0.35),
        Product("Rechargeable Electric Fan", "FAN-R", "White", 899.0, 1.9),
        Product("Virgin Coconut Oil 1L", "VCO-1L", "", 420.0, 1.05),
        Product("Rubber Slippers", "SLP-H", "42", 299.0, 0.3),
    ],
    "TW": [
        Product("珍珠奶茶沖泡包 (10入)", "BBT-10", "原味", 299, 0.45),
        Product("鳳梨酥禮盒 12入", "PAS-12", "", 480, 0.7, "flash_sale"),
        Product("保溫瓶 750ml", "TB-750", "霧黑", 690, 0.42),
        Product("手機支架", "PHS-01", "銀色", 199, 0.1),
        Product("高山烏龍茶 150g", "OOL-150", "", 850, 0.2),
    ],
    # Products of a mainland-China cross-border seller (prices in CNY, the CNSC sandbox currency).
    "CB": [
        Product("20000mAh Power Bank 充电宝", "PB-20K", "Black", 89.0, 0.45),
        Product("Women's Summer Floral Dress 连衣裙", "DRS-SUM", "Floral / M", 59.0, 0.25),
        Product("Mini Bluetooth Speaker", "BTS-MINI", "Blue", 45.0, 0.3),
        Product("3-Tier Kitchen Storage Rack 厨房置物架", "KSR-3", "3 Tier", 79.0, 2.1),
        Product("LED Strip Lights 5m", "LED-5M", "RGB", 35.0, 0.28),
    ],
}
PRODUCTS["ID"] = PRODUCTS["SG"]
PRODUCTS["BR"] = PRODUCTS["SG"]

BUYERS: dict[str, list[Buyer]] = {
    "SG": [
        Buyer(
            "Tan Wei Ming",
            "6591234567",
            "",
            "",
            "Singapore",
            "Singapore",
            "018956",
            "10 Bayfront Avenue, #05-01, Singapore 018956",
        ),
        Buyer(
            "陈美玲",
            "6582345678",
            "",
            "",
            "Singapore",
            "Singapore",
            "238859",
            "391 Orchard Road, #12-03, Singapore 238859",
        ),
        Buyer(
            "Siti Aminah binte Rahman",
            "6590011223",
            "",
            "Tampines",
            "Singapore",
            "Singapore",
            "521123",
            "Blk 123 Tampines Street 11, #04-56, Singapore 521123",
        ),
        Buyer(
            "Rajesh Kumar",
            "6581122334",
            "",
            "Jurong East",
            "Singapore",
            "Singapore",
            "608549",
            "50 Jurong Gateway Road, #03-12, Singapore 608549",
        ),
    ],
    "MY": [
        Buyer(
            "Ahmad Faizal bin Ismail",
            "60123456789",
            "",
            "Bukit Bintang",
            "Kuala Lumpur",
            "Wilayah Persekutuan Kuala Lumpur",
            "55100",
            "No. 12, Jalan Bukit Bintang, 55100 Kuala Lumpur",
        ),
        Buyer(
            "林志强",
            "60162233445",
            "",
            "George Town",
            "George Town",
            "Pulau Pinang",
            "10200",
            "23, Lebuh Chulia, 10200 George Town, Pulau Pinang",
        ),
        Buyer(
            "Nurul Izzah binti Hassan",
            "60193344556",
            "",
            "Seksyen 7",
            "Shah Alam",
            "Selangor",
            "40000",
            "Lot 5, Jalan Plumbum 7/102, Seksyen 7, 40000 Shah Alam, Selangor",
        ),
        Buyer(
            "Muthu a/l Raman",
            "60174455667",
            "",
            "",
            "Johor Bahru",
            "Johor",
            "80000",
            "88, Jalan Wong Ah Fook, 80000 Johor Bahru, Johor",
        ),
    ],
    "TH": [
        Buyer(
            "สมชาย ใจดี",
            "66812345678",
            "คลองตัน",
            "เขตคลองเตย",
            "กรุงเทพมหานคร",
            "กรุงเทพมหานคร",
            "10110",
            "99/12 ซอยสุขุมวิท 24 ถนนสุขุมวิท แขวงคลองตัน เขตคลองเตย กรุงเทพมหานคร 10110",
        ),
        Buyer(
            "สุภาพร ศรีสวัสดิ์",
            "66891234567",
            "ช้างเผือก",
            "อำเภอเมืองเชียงใหม่",
            "เชียงใหม่",
            "เชียงใหม่",
            "50300",
            "45 ถนนห้วยแก้ว ตำบลช้างเผือก อำเภอเมืองเชียงใหม่ เชียงใหม่ 50300",
        ),
        Buyer(
            "วิชัย ทองดี",
            "66861112233",
            "ในเมือง",
            "อำเภอเมืองขอนแก่น",
            "ขอนแก่น",
            "ขอนแก่น",
            "40000",
            "123/4 ถนนมิตรภาพ ตำบลในเมือง อำเภอเมืองขอนแก่น ขอนแก่น 40000",
        ),
        Buyer(
            "John Smith",
            "66899998877",
            "Khlong Toei Nuea",
            "Watthana",
            "Bangkok",
            "Bangkok",
            "10110",
            "88 Sukhumvit Soi 11, Khlong Toei Nuea, Watthana, Bangkok 10110",
        ),
    ],
    "VN": [
        Buyer(
            "Nguyễn Văn An",
            "84901234567",
            "Phường Bến Nghé",
            "Quận 1",
            "TP. Hồ Chí Minh",
            "TP. Hồ Chí Minh",
            "700000",
            "12 Nguyễn Huệ, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
        ),
        Buyer(
            "Trần Thị Bích Ngọc",
            "84912345678",
            "Phường Hàng Trống",
            "Quận Hoàn Kiếm",
            "Hà Nội",
            "Hà Nội",
            "100000",
            "35 Hàng Bài, Phường Hàng Trống, Quận Hoàn Kiếm, Hà Nội",
        ),
        Buyer(
            "Lê Hoàng Phúc",
            "84935556677",
            "Phường Thạch Thang",
            "Quận Hải Châu",
            "Đà Nẵng",
            "Đà Nẵng",
            "550000",
            "78 Bạch Đằng, Phường Thạch Thang, Quận Hải Châu, Đà Nẵng",
        ),
        Buyer(
            "Phạm Minh Tuấn",
            "84977889900",
            "Xã Phong Thạnh Tây B",
            "Huyện Phước Long",
            "Huyện Phước Long",
            "Bạc Liêu",
            "",
            "Ấp 3, Xã Phong Thạnh Tây B, Huyện Phước Long, Bạc Liêu",
        ),
    ],
    "PH": [
        Buyer(
            "Maria Clara Santos",
            "639171234567",
            "Barangay San Antonio",
            "Makati City",
            "Makati City",
            "Metro Manila",
            "1203",
            "123 Rizal Street, Barangay San Antonio, Makati City, Metro Manila 1203",
        ),
        Buyer(
            "Juan Dela Cruz",
            "639281112233",
            "Barangay Lahug",
            "Cebu City",
            "Cebu City",
            "Cebu",
            "6000",
            "45 Gorordo Avenue, Barangay Lahug, Cebu City, Cebu 6000",
        ),
        Buyer(
            "Andrea Reyes",
            "639194445566",
            "Poblacion",
            "Davao City",
            "Davao City",
            "Davao del Sur",
            "8000",
            "12 C.M. Recto Street, Poblacion, Davao City 8000",
        ),
    ],
    "TW": [
        Buyer("陳怡君", "886912345678", "", "信義區", "台北市", "台北市", "110", "台北市信義區信義路五段7號"),
        Buyer("林冠宇", "886922334455", "", "西屯區", "台中市", "台中市", "407", "台中市西屯區台灣大道三段99號"),
        Buyer("王小明", "886933445566", "", "前鎮區", "高雄市", "高雄市", "806", "高雄市前鎮區中山二路2號"),
        Buyer("黃雅婷", "886955667788", "", "東區", "台南市", "台南市", "701", "台南市東區大學路1號"),
    ],
}
BUYERS["ID"] = BUYERS["SG"]
BUYERS["BR"] = BUYERS["SG"]

# Seller pickup addresses per market: (state, city, district, town, address, zipcode)
SELLER_ADDRESSES: dict[str, list[tuple[str, str, str, str, str, str]]] = {
    "SG": [
        ("", "Singapore", "", "", "2 Kallang Avenue, #07-01", "339407"),
        ("", "Singapore", "", "", "hhh, #34", "408600"),
    ],
    "MY": [
        ("Selangor", "Petaling Jaya", "", "", "No. 8, Jalan 51A/223", "46100"),
        ("Kuala Lumpur", "Kuala Lumpur", "", "", "Lot 3, Jalan Ipoh", "51200"),
    ],
    "TH": [
        ("กรุงเทพมหานคร", "เขตบางนา", "บางนา", "", "222/58 ถนนบางนา-ตราด", "10260"),
        ("ชลบุรี", "อำเภอเมืองชลบุรี", "", "", "88/8 ถนนสุขุมวิท", "20000"),
    ],
    "VN": [
        ("TP. Hồ Chí Minh", "Quận 7", "Phường Tân Phú", "", "Số 5 Nguyễn Lương Bằng", "700000"),
        ("Hà Nội", "Quận Cầu Giấy", "", "", "Số 10 Trần Thái Tông", "100000"),
    ],
    "PH": [
        ("Metro Manila", "Pasig City", "Barangay Ugong", "", "Unit 5, 88 Meralco Avenue", "1604"),
        ("Laguna", "Santa Rosa", "", "", "Lot 2 Block 4, Greenfield", "4026"),
    ],
    "TW": [
        ("新北市", "板橋區", "", "", "新北市板橋區文化路一段100號", "220"),
        ("桃園市", "中壢區", "", "", "桃園市中壢區中正路200號", "320"),
    ],
    "CN": [
        ("广东省", "深圳市", "宝安区", "", "广东省深圳市宝安区福永街道凤凰路8号", "518103"),
        ("浙江省", "金华市", "义乌市", "", "浙江省义乌市福田街道国际商贸城5区", "322000"),
    ],
}
SELLER_ADDRESSES["ID"] = SELLER_ADDRESSES["SG"]
SELLER_ADDRESSES["BR"] = SELLER_ADDRESSES["SG"]

# Drop-off branches (TW convenience stores) offered by get_shipping_parameter.dropoff.branch_list
BRANCHES: dict[str, list[tuple[int, str, str, str, str]]] = {
    # branch_id, state, city, address, zipcode
    "TW": [
        (141234, "台北市", "信義區", "台北市信義區松仁路58號 (7-ELEVEN 松仁門市)", "110"),
        (141567, "台北市", "大安區", "台北市大安區復興南路一段390號 (7-ELEVEN 復興門市)", "106"),
        (152001, "新北市", "板橋區", "新北市板橋區文化路一段188號 (全家 文化店)", "220"),
    ],
}

PAYMENT_METHODS: dict[str, list[str]] = {
    "SG": ["Credit Card", "ShopeePay", "PayNow"],
    "MY": ["Online Banking", "ShopeePay", "Credit Card"],
    "TH": ["ShopeePay", "Credit Card", "Bank Transfer"],
    "VN": ["ShopeePay", "Thẻ Tín dụng/Ghi nợ", "Chuyển khoản ngân hàng"],
    "PH": ["GCash", "ShopeePay", "Credit Card"],
    "TW": ["信用卡", "ShopeePay", "銀行轉帳"],
}

CANCEL_REASON_TEXT = {
    "OUT_OF_STOCK": "Out of Stock",
    "CUSTOMER_REQUEST": "Customer Request",
    "UNDELIVERABLE_AREA": "Undeliverable Area",
    "COD_NOT_SUPPORTED": "COD Not Supported",
}
