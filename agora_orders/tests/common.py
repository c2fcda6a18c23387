from odoo.fields import Command
from odoo.tests import new_test_user

from odoo.addons.mail.tests.common import MailCommon


class AgoraCommon(MailCommon):
    """Two client companies with agreements, stock, and users of every role.

    Built on Odoo's mail test base so that sent emails are captured, not sent.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        cls.company = cls.env.company
        cls.company.write(
            {"agora_reserve_hours": 72, "agora_reminder_hours": 24, "agora_hold_threshold": 0.0}
        )
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.stock_location = cls.warehouse.lot_stock_id

        cls.salesman = new_test_user(
            cls.env,
            login="agora_salesman",
            name="Sasha Salesman",
            email="sasha@supplier.example",
            groups="sales_team.group_sale_salesman",
        )
        cls.salesman_other = new_test_user(
            cls.env,
            login="agora_salesman_other",
            name="Olga Other",
            email="olga@supplier.example",
            groups="sales_team.group_sale_salesman",
        )
        cls.manager = new_test_user(
            cls.env,
            login="agora_manager",
            name="Maria Manager",
            email="maria@supplier.example",
            groups="sales_team.group_sale_manager,stock.group_stock_user",
        )
        cls.accountant = new_test_user(
            cls.env,
            login="agora_accountant",
            name="Anna Accountant",
            email="anna@supplier.example",
            groups="account.group_account_invoice",
        )

        cls.categ_root = cls.env["product.category"].create({"name": "Agora Test Goods"})
        cls.categ_tools = cls.env["product.category"].create(
            {"name": "Tools", "parent_id": cls.categ_root.id}
        )
        cls.categ_paint = cls.env["product.category"].create(
            {"name": "Paint", "parent_id": cls.categ_root.id}
        )
        cls.tax_20 = cls.env["account.tax"].create(
            {
                "name": "VAT 20% (test)",
                "amount": 20.0,
                "type_tax_use": "sale",
                "company_id": cls.company.id,
            }
        )
        cls.hammer = cls._create_product("Hammer", "HAM-001", cls.categ_tools, 100.0, qty=50)
        cls.drill = cls._create_product("Drill", "DRL-002", cls.categ_tools, 1000.0, qty=5)
        cls.paint = cls._create_product("White Paint", "PNT-003", cls.categ_paint, 50.0, qty=100)
        cls.delivery_policy_product = cls._create_product(
            "Saw", "SAW-004", cls.categ_tools, 200.0, qty=10, invoice_policy="delivery"
        )

        cls.pricelist_alfa = cls.env["product.pricelist"].create(
            {
                "name": "Alfa prices",
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
                ],
            }
        )
        cls.client_alfa = cls.env["res.partner"].create(
            {
                "name": "Alfa Stroy LLC",
                "is_company": True,
                "email": "office@alfa.example",
                "user_id": cls.salesman.id,
            }
        )
        cls.client_beta = cls.env["res.partner"].create(
            {
                "name": "Beta Torg LLC",
                "is_company": True,
                "email": "office@beta.example",
                "user_id": cls.salesman_other.id,
            }
        )
        cls.portal_alfa = new_test_user(
            cls.env,
            login="alfa_buyer",
            name="Alexei Alfa",
            email="alexei@alfa.example",
            groups="base.group_portal",
        )
        cls.portal_alfa.partner_id.parent_id = cls.client_alfa
        cls.portal_alfa_colleague = new_test_user(
            cls.env,
            login="alfa_colleague",
            name="Alla Alfa",
            email="alla@alfa.example",
            groups="base.group_portal",
        )
        cls.portal_alfa_colleague.partner_id.parent_id = cls.client_alfa
        cls.portal_beta = new_test_user(
            cls.env,
            login="beta_buyer",
            name="Boris Beta",
            email="boris@beta.example",
            groups="base.group_portal",
        )
        cls.portal_beta.partner_id.parent_id = cls.client_beta

        cls.agreement_alfa = cls.env["agora.agreement"].create(
            {
                "partner_id": cls.client_alfa.id,
                "pricelist_id": cls.pricelist_alfa.id,
                "category_ids": [Command.set(cls.categ_tools.ids)],
                "reserve_hours": 48,
                "date_start": "2026-01-01",
            }
        )
        cls.agreement_alfa.action_activate()
        cls.agreement_beta = cls.env["agora.agreement"].create(
            {"partner_id": cls.client_beta.id, "date_start": "2026-01-01"}
        )
        cls.agreement_beta.action_activate()

    @classmethod
    def _create_product(cls, name, code, categ, price, qty=0.0, invoice_policy="order"):
        product = cls.env["product.product"].create(
            {
                "name": name,
                "default_code": code,
                "barcode": f"46{abs(hash(code)) % 10**11:011d}",
                "categ_id": categ.id,
                "list_price": price,
                "type": "consu",
                "is_storable": True,
                "invoice_policy": invoice_policy,
                "taxes_id": [Command.set(cls.tax_20.ids)],
            }
        )
        if qty:
            cls.env["stock.quant"]._update_available_quantity(product, cls.stock_location, qty)
        return product

    def _create_order(self, partner=None, lines=None, user=None):
        """A cart, committed as if made in an earlier request: Odoo does not
        track the changes of a record in the transaction that creates it."""
        partner = partner or self.portal_alfa.partner_id
        lines = lines or [(self.hammer, 2)]
        order = (
            self.env["sale.order"]
            .with_user(user or self.salesman)
            .create(
                {
                    "partner_id": partner.id,
                    "order_line": [
                        Command.create({"product_id": p.id, "product_uom_qty": q})
                        for p, q in lines
                    ],
                }
            )
        )
        self._flush_tracking()
        return order

    def _reserved_order(self, lines=None, partner=None, user=None):
        order = self._create_order(partner=partner, lines=lines, user=user)
        order.action_agora_submit()
        self._flush_tracking()
        order.action_agora_reserve()
        self._flush_tracking()
        return order

    def _load_russian(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        self.env["ir.module.module"]._load_module_terms(["agora_orders"], ["ru_RU"])

    def _flush_tracking(self):
        """Run what happens at commit: tracking, history events, emails."""
        self.env.flush_all()
        self.env.cr.flush()

    def _pay(self, invoice, amount=None):
        ctx = {"active_model": "account.move", "active_ids": invoice.ids}
        vals = {"amount": amount} if amount is not None else {}
        wizard = self.env["account.payment.register"].with_context(**ctx).create(vals)
        payments = wizard._create_payments()
        self._flush_tracking()
        return payments

    def _ship(self, order, quantities=None, backorder=True):
        """Validate the order's delivery, with {product: qty} when partial."""
        picking = order.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))[:1]
        return self._validate_picking(picking, quantities, backorder)

    def _validate_picking(self, picking, quantities=None, backorder=True, user=None):
        """Validate ``picking`` (as ``user`` when given): every move in full, or
        {product: qty}, then a backorder of the rest or none."""
        if user:
            picking = picking.with_user(user)
        for move in picking.move_ids:
            if quantities is not None:
                move.quantity = quantities.get(move.product_id, 0.0)
            else:
                move.quantity = move.product_uom_qty
            move.picked = True
        result = picking.button_validate()
        if isinstance(result, dict) and result.get("res_model") == "stock.backorder.confirmation":
            Wizard = self.env["stock.backorder.confirmation"]
            if user:
                Wizard = Wizard.with_user(user)
            wizard = Wizard.with_context(**result["context"]).create({})
            wizard.process() if backorder else wizard.process_cancel_backorder()
        self._flush_tracking()
        return picking
