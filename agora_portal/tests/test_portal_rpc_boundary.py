"""A portal client reaches nothing of another client through Odoo's own JSON-RPC.

The /my routes are not the boundary: a portal user is an Odoo user and may call
``/web/dataset/call_kw`` on any model with any public method. These tests call it
as client B on every model that agora_orders or agora_portal define or extend
(found at run time, so that a new model is covered without editing this file)
and check that client A's records can be neither found, read, pointed to nor
changed, and that B changes nothing by hand, not even its own documents.
"""

from contextlib import closing, contextmanager

from odoo import fields
from odoo.fields import Domain
from odoo.models import LOG_ACCESS_COLUMNS, MAGIC_COLUMNS
from odoo.tests import tagged
from odoo.tools import mute_logger
from odoo.tools.sql import table_kind

from .common import AgoraPortalHttpCase

OWN_MODULES = ("agora_orders", "agora_portal")
# A many2one to one of these may be written to point at another client's record.
POINTED_COMODELS = (
    "sale.order",
    "res.partner",
    "account.move",
    "product.product",
    "res.users",
    # Our own: moving B's rows into A's upload preview, B's lines into A's return.
    "agora.cart.import",
    "agora.return.request",
)
ACCESS_ERROR = "odoo.exceptions.AccessError"
# The models that must be found, and where client A must have records.
EXPECTED_MODELS = (
    "agora.order.event",
    "agora.notification",
    "agora.return.request",
    "agora.return.request.line",
    "agora.cart.import",
    "agora.cart.import.line",
)
# Who created or last wrote a record is no ownership (A's actions touch shared records).
NOT_OWNERSHIP = set(LOG_ACCESS_COLUMNS)


@tagged("post_install", "-at_install")
class TestPortalRpcBoundary(AgoraPortalHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # History events and notifications come from tracking.
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))

    def setUp(self):
        super().setUp()
        # Client A: a record in every one of our models.
        self.alfa_submitted = self._submitted_order(self.user_alfa, [(self.hammer, 1)])
        self.alfa_reserved = self._reserved_order(self.user_alfa, [(self.glue, 2)])
        self.alfa_shipped = self._shipped_order(self.user_alfa2, [(self.hammer, 3)])
        self.alfa_return = self._return_request(self.alfa_shipped)
        self.alfa_cart = self._cart(self.user_alfa, [(self.drill, 1)])
        self.alfa_upload = self._upload(self.user_alfa, self.alfa_cart)
        # Client B: its own cart, orders, invoice, picking, return and upload.
        self.beta_reserved = self._reserved_order(self.user_beta, [(self.paint, 2)])
        self.beta_shipped = self._shipped_order(self.user_beta, [(self.paint, 1)])
        self.beta_return = self._return_request(self.beta_shipped)
        self.beta_cart = self._cart(self.user_beta, [(self.paint, 4)])
        self.beta_upload = self._upload(self.user_beta, self.beta_cart)
        self._flush_tracking()
        self.env.invalidate_all()

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _return_request(self, order):
        order = self.env["sale.order"].browse(order.id)
        line = order.order_line[:1]
        request = (
            self.env["agora.return.request"]
            .sudo()
            ._create_for_client(order, {line.id: 1}, "Broken on arrival")
        )
        self._flush_tracking()
        return request

    def _upload(self, user, cart):
        """An upload preview of ``user``, as the upload route makes it."""
        cart = self.env["sale.order"].browse(cart.id).with_user(user)
        Import = self.env["agora.cart.import"].with_user(user).sudo()
        content = b"SKU;Quantity\nAGP-HAM-01;2\nAGP-PNT-04;3\nAGP-NONE-99;1\n"
        upload = Import._agora_create_from_file(cart, "order.csv", content)
        self.assertTrue(upload.line_ids)
        return self.env["agora.cart.import"].browse(upload.id)

    def _own_models(self):
        """Every model agora_orders or agora_portal define or extend, that has rows."""
        data = (
            self.env["ir.model.data"]
            .sudo()
            .search([("model", "=", "ir.model"), ("module", "in", OWN_MODULES)])
        )
        names = set(self.env["ir.model"].sudo().browse(data.mapped("res_id")).mapped("model"))
        models = []
        for name in sorted(names):
            if name not in self.env:
                continue
            Model = self.env[name]
            if Model._abstract:
                continue
            # _auto = False: a SQL view or a _table_query (a report) has rows to
            # read; a model with neither has no table.
            if not Model._auto and not (
                Model._table_query or table_kind(self.env.cr, Model._table)
            ):
                continue
            models.append(name)
        return models

    @staticmethod
    def _pointing_fields(Model, comodels, stored=True):
        return [
            name
            for name, field in Model._fields.items()
            if field.type == "many2one"
            and field.comodel_name in comodels
            and name not in NOT_OWNERSHIP
            and (field.store or not stored)
        ]

    def _alfa_records(self, models):
        """{model: ids of client A's records}, read with sudo.

        A record is A's when one of its many2one fields points at one of A's
        orders, partners, invoices, users, or at another record of A already
        found (a return request line through its request), until nothing new.
        """
        env = self.env(su=True, context=dict(self.env.context, active_test=False))
        partners = env["res.partner"].search([("id", "child_of", self.client_alfa.id)])
        targets = {
            "res.partner": set(partners.ids),
            "res.users": set(env["res.users"].search([("partner_id", "in", partners.ids)]).ids),
            "sale.order": set(env["sale.order"].search([("partner_id", "in", partners.ids)]).ids),
            "account.move": set(
                env["account.move"].search([("partner_id", "in", partners.ids)]).ids
            ),
        }
        found = {name: set(targets.get(name, ())) for name in models}
        changed = True
        while changed:
            changed = False
            for name in models:
                Model = env[name]
                domains = [
                    [(fname, "in", list(targets[Model._fields[fname].comodel_name]))]
                    for fname in self._pointing_fields(Model, targets)
                    if targets[Model._fields[fname].comodel_name]
                ]
                if not domains:
                    continue
                new = set(Model.search(Domain.OR(domains)).ids) - found[name]
                if new:
                    found[name] |= new
                    targets.setdefault(name, set()).update(new)
                    changed = True
        return found

    def _required_values(self, Model, own):
        """Values for the required fields of ``Model`` that have no default.

        A many2one takes B's own record (``own``), else one that B can read (a
        record rule on the parent must not refuse for the wrong reason), else
        any record.
        """
        vals = {}
        for name, field in Model._fields.items():
            if (
                not field.required
                or name in MAGIC_COLUMNS
                or field.compute
                or field.related
                or field.default is not None
            ):
                continue
            if field.type in ("char", "text", "html"):
                vals[name] = "x"
            elif field.type in ("integer", "float", "monetary"):
                vals[name] = 1
            elif field.type == "boolean":
                vals[name] = True
            elif field.type == "selection":
                vals[name] = field.get_values(self.env)[0]
            elif field.type == "date":
                vals[name] = fields.Date.to_string(fields.Date.today())
            elif field.type == "datetime":
                vals[name] = fields.Datetime.to_string(fields.Datetime.now())
            elif field.type == "many2one":
                vals[name] = own.get(field.comodel_name) or self._any_record(field.comodel_name)
        return vals

    def _any_record(self, comodel):
        if comodel not in self._any_cache:
            readable = self._call_kw(comodel, "search", [[]], {"limit": 1})[0]
            self._any_cache[comodel] = (readable or [None])[0] or (
                self.env[comodel].sudo().search([], limit=1).id
            )
        return self._any_cache[comodel]

    @contextmanager
    def _undone(self):
        """Whatever the call changes is rolled back after the checks, so that a
        change that should have been refused spoils none of the next checks."""
        with closing(self.env.cr.savepoint()):
            yield
        self.env.invalidate_all()

    def _count(self, name):
        return self.env[name].sudo().with_context(active_test=False).search_count([])

    def _stored_id(self, name, record_id, fname):
        self.env.invalidate_all()
        return self.env[name].sudo().browse(record_id)[fname].id

    def _check_error(self, error, what):
        self.assertTrue(error, f"{what}: the call succeeded")
        self.assertTrue(error.startswith("odoo.exceptions."), f"{what}: server crash {error}")

    # ------------------------------------------------------------------
    # Tests
    # ------------------------------------------------------------------

    @mute_logger("odoo.http")
    def test_portal_client_reaches_no_other_client_record_through_call_kw(self):
        models = self._own_models()
        self.assertTrue(models)
        for name in EXPECTED_MODELS:
            self.assertIn(name, models)
        alfa = self._alfa_records(models)
        for name in (
            *EXPECTED_MODELS,
            "sale.order",
            "sale.order.line",
            "account.move",
            "stock.picking",
        ):
            self.assertTrue(alfa.get(name), f"client A has no {name} record to protect")
        self.assertIn(self.alfa_upload.id, alfa["agora.cart.import"])
        self.assertIn(self.alfa_return.id, alfa["agora.return.request"])
        self.assertTrue(set(self.alfa_return.line_ids.ids) <= alfa["agora.return.request.line"])
        # What B is given when a value of its own is needed, and the A records it
        # tries to point at.
        own = {
            "sale.order": self.beta_shipped.id,
            "res.partner": self.partner_beta.id,
            "account.move": self.beta_shipped._agora_invoices()[:1].id,
            "product.product": self.paint.id,
            "res.users": self.user_beta.id,
            "agora.cart.import": self.beta_upload.id,
            "agora.return.request": self.beta_return.id,
        }
        alfa_target = {
            "sale.order": self.alfa_shipped.id,
            "res.partner": self.client_alfa.id,
            "account.move": self.alfa_reserved._agora_invoices()[:1].id,
            # Neither in B's assortment (Paint) nor in A's.
            "product.product": self.secret.id,
            "res.users": self.user_alfa.id,
            "agora.cart.import": self.alfa_upload.id,
            "agora.return.request": self.alfa_return.id,
        }
        self.assertTrue(all(own.values()) and all(alfa_target.values()))

        self._login(self.user_beta)
        self._any_cache = {}
        # 1. Searching everything finds none of A's records.
        readable_by_beta = {}
        for name in models:
            alfa_ids = alfa[name]
            with self.subTest(model=name, check="search"):
                result, error = self._call_kw(name, "search", [[]])
                if error:
                    self.assertEqual(error, ACCESS_ERROR)
                else:
                    self.assertFalse(set(result) & alfa_ids, "A's records found")
                readable_by_beta[name] = sorted(set(result or ()) - alfa_ids)
            with self.subTest(model=name, check="search_read"):
                result, error = self._call_kw(name, "search_read", [[]], {"fields": ["id"]})
                if error:
                    self.assertEqual(error, ACCESS_ERROR)
                else:
                    self.assertFalse({row["id"] for row in result} & alfa_ids, "A's found")
        # B has records of its own to try writing on and deleting.
        for name in EXPECTED_MODELS:
            self.assertTrue(readable_by_beta[name], f"client B reads no {name} of its own")

        for name in models:
            Model = self.env[name]
            pointing = self._pointing_fields(Model, POINTED_COMODELS, stored=False)

            # 2. Reading A's records by id gives an error or nothing.
            for record_id in sorted(alfa[name]):
                with self.subTest(model=name, check="read", id=record_id):
                    result, error = self._call_kw(name, "read", [[record_id], ["display_name"]])
                    if error:
                        self._check_error(error, "read")
                    else:
                        self.assertFalse(
                            [row for row in result if row["id"] == record_id], "A's record read"
                        )

            # 3. Creating a record that points at A's (or at a product B may not
            #    order) is refused by the access rights, and creates nothing.
            for fname in pointing:
                comodel = Model._fields[fname].comodel_name
                vals = self._required_values(Model, own)
                vals[fname] = alfa_target[comodel]
                with self.subTest(model=name, check="create", field=fname), self._undone():
                    count = self._count(name)
                    result, error = self._call_kw(name, "create", [[vals]])
                    self.assertEqual(error, ACCESS_ERROR, f"create gave {result or error}")
                    self.assertEqual(self._count(name), count)

            # 4. B's readable records cannot be re-pointed at A's.
            for record_id in readable_by_beta[name]:
                for fname in pointing:
                    comodel = Model._fields[fname].comodel_name
                    with (
                        self.subTest(model=name, check="write", id=record_id, field=fname),
                        self._undone(),
                    ):
                        before = self._stored_id(name, record_id, fname)
                        result, error = self._call_kw(
                            name, "write", [[record_id], {fname: alfa_target[comodel]}]
                        )
                        self._check_error(error, "write")
                        self.assertEqual(self._stored_id(name, record_id, fname), before)

            # 5. Portal users may not delete: B's readable records stay.
            for record_id in readable_by_beta[name]:
                with self.subTest(model=name, check="unlink", id=record_id), self._undone():
                    count = self._count(name)
                    result, error = self._call_kw(name, "unlink", [[record_id]])
                    self.assertEqual(error, ACCESS_ERROR, f"unlink gave {result or error}")
                    self.assertEqual(self._count(name), count)

    @mute_logger("odoo.http")
    def test_portal_client_changes_none_of_its_own_sale_documents_through_call_kw(self):
        cart = self.env["sale.order"].browse(self.beta_cart.id)
        order = self.env["sale.order"].browse(self.beta_reserved.id)
        invoice = order._agora_invoices()
        picking = order.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        self.assertEqual(len(invoice), 1)
        self.assertEqual(len(picking), 1)
        self.assertEqual(cart.state, "draft")
        attempts = [
            (cart, {"client_order_ref": "B-REF"}),
            (cart, {"partner_id": self.partner_alfa.id}),
            (cart.order_line, {"price_unit": 0.01}),
            (cart.order_line, {"discount": 99.0}),
            (cart.order_line, {"product_uom_qty": 1000.0}),
            (cart.order_line, {"product_id": self.secret.id}),
            (order, {"client_order_ref": "B-REF"}),
            (order.order_line, {"price_unit": 0.01}),
            (invoice, {"ref": "B-REF"}),
            (invoice, {"invoice_date_due": "2099-12-31"}),
            (picking, {"origin": "B-REF"}),
            (picking, {"partner_id": self.partner_alfa.id}),
        ]
        before = [(record, vals, record.read(list(vals))[0]) for record, vals in attempts]
        self._login(self.user_beta)
        for record, vals, values in before:
            with self.subTest(model=record._name, vals=vals):
                self.assertEqual(len(record), 1)
                result, error = self._call_kw(record._name, "write", [record.ids, vals])
                self.assertEqual(error, ACCESS_ERROR, f"write gave {result or error}")
                self.env.invalidate_all()
                self.assertEqual(record.read(list(vals))[0], values)
        with self.subTest(model="sale.order.line", method="create"):
            count = len(cart.order_line)
            result, error = self._call_kw(
                "sale.order.line",
                "create",
                [[{"order_id": cart.id, "product_id": self.paint.id, "price_unit": 0.01}]],
            )
            self.assertEqual(error, ACCESS_ERROR, f"create gave {result or error}")
            self.env.invalidate_all()
            self.assertEqual(len(cart.order_line), count)
        with self.subTest(model="sale.order", method="action_confirm"):
            result, error = self._call_kw("sale.order", "action_confirm", [cart.ids])
            self._check_error(error, "action_confirm")
            self.env.invalidate_all()
            self.assertEqual(cart.state, "draft")
            self.assertEqual(cart.agora_state, "new")
