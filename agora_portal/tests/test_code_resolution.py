from odoo.tests import tagged

from .common import AgoraPortalHttpCase


@tagged("post_install", "-at_install")
class TestAgoraCodeResolution(AgoraPortalHttpCase):
    """What the client types or uploads as a code (an SKU, a barcode or a
    product's name) is resolved by one method, for "add a line" and for a file."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Two products of the same name: the name alone is ambiguous.
        cls.chisel_small = cls._agp_product("AGP Chisel", "AGP-CHS-S", cls.categ_tools, 10.0, 5)
        cls.chisel_big = cls._agp_product("AGP Chisel", "AGP-CHS-B", cls.categ_tools, 12.0, 5)

    def _resolve(self, *entries):
        Catalog = self.env["agora.catalog"].with_user(self.user_alfa)
        agreement = Catalog._get_agreement(self.partner_alfa)
        return [
            (match["status"], match["product"])
            for match in Catalog._resolve_codes(agreement, list(entries))
        ]

    def test_resolve_codes(self):
        Product = self.env["product.product"]
        cases = {
            "SKU": (("AGP-HAM-01", "AGP-HAM-01"), ("found", self.hammer)),
            "SKU in another case": ((" agp-ham-01 ", ""), ("found", self.hammer)),
            "barcode": (("4600000000011", "4600000000011"), ("found", self.hammer)),
            "barcode in its own column": (("", "4600000000011"), ("found", self.hammer)),
            "name": (("Drill Power", "Drill Power"), ("found", self.drill)),
            "name in another case": (("drill POWER", ""), ("found", self.drill)),
            "part of a name": (("Drill Pow", "Drill Pow"), ("unknown", Product)),
            "SKU outside the assortment": (("AGP-PNT-04", "AGP-PNT-04"), ("outside", Product)),
            "barcode outside the assortment": (
                ("4600000000042", "4600000000042"),
                ("outside", Product),
            ),
            # A name is easy to guess: another client's goods stay unknown.
            "name outside the assortment": (("Secret Widget", ""), ("unknown", Product)),
            "unknown": (("AGP-NOPE-99", "AGP-NOPE-99"), ("unknown", Product)),
            "two products of one name": (("agp chisel", "agp chisel"), ("ambiguous", Product)),
            "nothing": (("", ""), ("empty", Product)),
        }
        labels = list(cases)
        # One call for every entry, as a file's rows are resolved.
        results = self._resolve(*(cases[label][0] for label in labels))
        for label, (status, product) in zip(labels, results, strict=True):
            with self.subTest(label):
                self.assertEqual(
                    (status, product.ids), (cases[label][1][0], cases[label][1][1].ids)
                )

    def test_sku_wins_over_a_name_and_a_barcode(self):
        # A product named like another's SKU: the SKU is what the client means.
        self.glue.name = "AGP-HAM-01"
        self.assertEqual(self._resolve(("AGP-HAM-01", "AGP-HAM-01")), [("found", self.hammer)])

    def test_an_sku_outside_the_assortment_hides_no_barcode_inside_it(self):
        # The barcode column names the hammer; the code column an SKU of a
        # product the client may not order.
        self.assertEqual(self._resolve(("AGP-PNT-04", "4600000000011")), [("found", self.hammer)])

    def test_quick_add_and_upload_resolve_alike(self):
        codes = ("agp-ham-01", "4600000000011", "drill power", "AGP-PNT-04", "AGP-NOPE-99")
        self._login(self.user_alfa)
        for code in codes:
            self._post("/my/cart/add", {"code": code, "quantity": "1"})
        cart = self._cart_of(self.user_alfa)
        added = {line.product_id: line.product_uom_qty for line in cart.order_line}
        self.assertEqual(added, {self.hammer: 2, self.drill: 1})
        content = "\n".join(f"{code};1" for code in codes).encode()
        # sudo: as the upload route does; portal users may only read uploads.
        upload = (
            self.env["agora.cart.import"]
            .with_user(self.user_alfa)
            .sudo()
            ._agora_create_from_file(cart, "order.csv", content)
        )
        self.assertEqual(
            [(line.status, line.product_id) for line in upload.line_ids],
            [
                ("merge", self.hammer),
                ("merge", self.hammer),
                ("merge", self.drill),
                ("outside", self.env["product.product"]),
                ("unknown", self.env["product.product"]),
            ],
        )
