from odoo import http
from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user


class AgoraPortalDataMixin:
    """Two client companies with different agreements (prices, assortment),
    a portal contact for each (password = login), products with stock.

    * Alfa: categories Tools (+ Hand tools) and the product Glue explicitly;
      price list: Hammer at a fixed 90, 10 % off everything else.
    * Beta: category Paint only, at list prices.
    """

    @classmethod
    def _setup_agora_data(cls):
        env = cls.env
        cls.company = env.company
        cls.company.write({"agora_show_stock_quantity": True, "agora_low_stock_threshold": 5.0})
        cls.warehouse = env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.stock_location = cls.warehouse.lot_stock_id
        cls.salesman = new_test_user(
            env,
            login="agp_salesman",
            name="Sveta Sales",
            groups="sales_team.group_sale_salesman,stock.group_stock_user",
        )
        cls.categ_root = env["product.category"].create({"name": "AGP Goods"})
        cls.categ_tools = env["product.category"].create(
            {"name": "AGP Tools", "parent_id": cls.categ_root.id}
        )
        cls.categ_hand = env["product.category"].create(
            {"name": "AGP Hand tools", "parent_id": cls.categ_tools.id}
        )
        cls.categ_paint = env["product.category"].create(
            {"name": "AGP Paint", "parent_id": cls.categ_root.id}
        )
        cls.categ_misc = env["product.category"].create(
            {"name": "AGP Misc", "parent_id": cls.categ_root.id}
        )
        cls.tax = env["account.tax"].create(
            {
                "name": "AGP VAT 20%",
                "amount": 20.0,
                "type_tax_use": "sale",
                "company_id": cls.company.id,
            }
        )
        cls.hammer = cls._agp_product("Hammer Steel", "AGP-HAM-01", cls.categ_hand, 100.0, 50)
        cls.drill = cls._agp_product("Drill Power", "AGP-DRL-02", cls.categ_tools, 1000.0, 3)
        cls.saw = cls._agp_product("Saw Wood", "AGP-SAW-03", cls.categ_tools, 200.0, 0)
        cls.paint = cls._agp_product("Paint White", "AGP-PNT-04", cls.categ_paint, 50.0, 100)
        cls.glue = cls._agp_product("Glue Strong", "AGP-GLU-05", cls.categ_misc, 30.0, 20)
        cls.secret = cls._agp_product("Secret Widget", "AGP-SEC-06", cls.categ_misc, 500.0, 10)
        cls.hammer.barcode = "4600000000011"
        cls.paint.barcode = "4600000000042"

        cls.pricelist_alfa = env["product.pricelist"].create(
            {
                "name": "AGP Alfa prices",
                "currency_id": cls.company.currency_id.id,
                "item_ids": [
                    Command.create(
                        {
                            "applied_on": "1_product",
                            "product_tmpl_id": cls.hammer.product_tmpl_id.id,
                            "compute_price": "fixed",
                            "fixed_price": 90.0,
                        }
                    ),
                    Command.create(
                        {
                            "applied_on": "3_global",
                            "compute_price": "percentage",
                            "percent_price": 10.0,
                        }
                    ),
                ],
            }
        )
        cls.pricelist_beta = env["product.pricelist"].create(
            {"name": "AGP Beta prices", "currency_id": cls.company.currency_id.id}
        )
        cls.client_alfa = env["res.partner"].create(
            {"name": "AGP Alfa Stroy", "is_company": True, "user_id": cls.salesman.id}
        )
        cls.alfa_depot = env["res.partner"].create(
            {
                "name": "Alfa depot",
                "type": "delivery",
                "parent_id": cls.client_alfa.id,
                "street": "Depot street 1",
                "city": "Kazan",
            }
        )
        cls.client_beta = env["res.partner"].create(
            {"name": "AGP Beta Torg", "is_company": True, "user_id": cls.salesman.id}
        )
        cls.beta_depot = env["res.partner"].create(
            {"name": "Beta depot", "type": "delivery", "parent_id": cls.client_beta.id}
        )
        cls.user_alfa = cls._agp_portal_user("agp_alfa", "Anna Alfa", cls.client_alfa)
        cls.user_alfa2 = cls._agp_portal_user("agp_alfa2", "Arkady Alfa", cls.client_alfa)
        cls.user_beta = cls._agp_portal_user("agp_beta", "Boris Beta", cls.client_beta)
        cls.agreement_alfa = env["agora.agreement"].create(
            {
                "partner_id": cls.client_alfa.id,
                "pricelist_id": cls.pricelist_alfa.id,
                "category_ids": [Command.set(cls.categ_tools.ids)],
                "product_ids": [Command.set(cls.glue.ids)],
                "date_start": "2020-01-01",
            }
        )
        cls.agreement_alfa.action_activate()
        cls.agreement_beta = env["agora.agreement"].create(
            {
                "partner_id": cls.client_beta.id,
                "pricelist_id": cls.pricelist_beta.id,
                "category_ids": [Command.set(cls.categ_paint.ids)],
                "date_start": "2020-01-01",
            }
        )
        cls.agreement_beta.action_activate()
        cls.partner_alfa = cls.user_alfa.partner_id
        cls.partner_beta = cls.user_beta.partner_id

    @classmethod
    def _agp_product(cls, name, code, categ, price, qty=0.0):
        product = cls.env["product.product"].create(
            {
                "name": name,
                "default_code": code,
                "categ_id": categ.id,
                "list_price": price,
                "type": "consu",
                "is_storable": True,
                "invoice_policy": "order",
                "taxes_id": [Command.set(cls.tax.ids)],
            }
        )
        if qty:
            cls.env["stock.quant"]._update_available_quantity(product, cls.stock_location, qty)
        return product

    @classmethod
    def _agp_portal_user(cls, login, name, company_partner):
        user = new_test_user(
            cls.env,
            login=login,
            name=name,
            password=login + "_pwd",
            groups="base.group_portal",
        )
        user.partner_id.parent_id = company_partner
        return user

    # ------------------------------------------------------------------

    def _flush_tracking(self):
        """Run what happens at commit: tracking, history events, notifications."""
        self.env.flush_all()
        self.env.cr.flush()

    def _cart(self, user, lines=()):
        """The cart of ``user`` with ``lines`` [(product, qty)], through the model."""
        SaleOrder = self.env["sale.order"].with_user(user).sudo()
        cart = SaleOrder._agora_get_cart(user.partner_id, create=True)
        for product, qty in lines:
            cart._agora_cart_add(product, qty)
        return cart

    def _submitted_order(self, user, lines):
        cart = self._cart(user, lines)
        # Odoo does not track a record in the transaction that creates it.
        self._flush_tracking()
        cart._agora_cart_submit()
        self._flush_tracking()
        return cart

    def _reserved_order(self, user, lines):
        order = self._submitted_order(user, lines)
        order.with_user(self.salesman).action_agora_reserve()
        self._flush_tracking()
        return order

    def _shipped_order(self, user, lines):
        order = self._reserved_order(user, lines)
        picking = order.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        picking.button_validate()
        self._flush_tracking()
        return order


class AgoraPortalHttpCase(AgoraPortalDataMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_agora_data()

    def _login(self, user):
        self.authenticate(user.login, user.login + "_pwd")

    def _csrf(self):
        return http.Request.csrf_token(self)

    def _get(self, url, **kwargs):
        return self.url_open(url, **kwargs)

    def _post(self, url, data=None, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf:
            data["csrf_token"] = self._csrf()
        return self.url_open(url, data=data, method="POST", **kwargs)

    def _rpc(self, route, **params):
        return self.make_jsonrpc_request(route, params)

    def _call_kw(self, model, method, args, kwargs=None):
        """Call ``model.method`` through /web/dataset/call_kw as the logged-in user.

        :return: (result, error name): the error name is the exception's class
            (``odoo.exceptions.AccessError``) or None when the call succeeded.
        """
        response = self.url_open(
            f"/web/dataset/call_kw/{model}.{method}",
            json={
                "jsonrpc": "2.0",
                "id": 0,
                "method": "call",
                "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
            },
        )
        self.assertEqual(response.status_code, 200, response.text[:500])
        payload = response.json()
        if "error" in payload:
            return None, payload["error"]["data"]["name"]
        return payload.get("result"), None

    def _cart_of(self, user):
        SaleOrder = self.env["sale.order"]
        return SaleOrder.search(SaleOrder._agora_cart_domain(user.partner_id))
