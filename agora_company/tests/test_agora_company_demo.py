from lxml import etree

from odoo.fields import Domain
from odoo.tests import Form, TransactionCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import AgoraCompanyDataMixin


@tagged("post_install", "-at_install")
class TestAgoraCompanyBackend(AgoraCompanyDataMixin, TransactionCase):
    """What the supplier's staff see and do in the backend: a client's portal
    accounts on its company form (where they set its first administrator),
    its threshold on the agreement, the approval on the order, and that an
    order awaiting the client's approval is not in their work to do."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_agora_company_data()
        # The clients' salesperson (own documents only), with Odoo's right to
        # edit contacts ("Contact Creation"), as staff who look after clients have.
        cls.staff = cls.salesman
        cls.staff.group_ids |= cls.env.ref("base.group_partner_manager")
        cls.sales_manager = new_test_user(
            cls.env,
            login="agc_manager",
            name="Maria Manager",
            groups="sales_team.group_sale_manager,base.group_partner_manager",
        )

    def _approval_order(self):
        """Bogdan's 10 hammers (1,080, above his 1,000): Awaiting Approval."""
        order = self._cart(self.limited_buyer_alfa, [(self.hammer, 10)])
        self._flush_tracking()
        order.with_user(self.limited_buyer_alfa).sudo()._agora_cart_submit()
        self._flush_tracking()
        self.assertEqual(order.agora_state, "approval")
        return order

    def test_staff_set_first_administrator_on_company_form(self):
        """Beta has no administrator: staff make Boris one from Beta's Portal
        Accounts tab, which lists its contacts and not its addresses; the
        change is in Beta's history, made by staff."""
        boris = self.user_beta.partner_id
        self.assertEqual(boris.agora_company_role, "buyer")
        with Form(self.client_beta.with_user(self.staff)) as form:
            self.assertEqual(form.agora_contact_ids.ids, [boris.id])
            self.assertNotIn(self.beta_depot.id, form.agora_contact_ids.ids)
            with form.agora_contact_ids.edit(0) as line:
                self.assertTrue(line.agora_has_portal_access)
                line.agora_company_role = "admin"
                line.agora_order_limit = 2000.0
            form.agora_approval_threshold = 5000.0
            form.agora_buyers_see_company_orders = False
        self.assertRecordValues(
            boris, [{"agora_company_role": "admin", "agora_order_limit": 2000.0}]
        )
        self.assertRecordValues(
            self.client_beta,
            [{"agora_approval_threshold": 5000.0, "agora_buyers_see_company_orders": False}],
        )
        events = self.client_beta.agora_company_event_ids
        self.assertEqual(
            sorted(events.mapped("event_type")), ["limit", "role", "threshold", "visibility"]
        )
        self.assertTrue(all(events.mapped("author_is_staff")))
        # Odoo writes a contact through its company's list as the transaction's
        # first user (res.partner refuses sudo commands): the web client's user
        # on a request, the superuser in a test. The company's own fields are
        # written as the staff member.
        settings = events.filtered(lambda e: e.event_type in ("threshold", "visibility"))
        self.assertEqual(settings.author_id, self.staff.partner_id)
        role = events.filtered(lambda e: e.event_type == "role")
        self.assertRecordValues(role, [{"partner_id": boris.id, "new_value": "admin"}])
        # The history is read-only on the form, and listed there.
        form = Form(self.client_beta.with_user(self.staff))
        self.assertEqual(form.agora_company_event_ids.ids, events.ids)

    def test_contact_form_has_role_and_limit(self):
        with Form(self.limited_buyer_alfa.partner_id.with_user(self.staff)) as form:
            self.assertEqual(form.agora_company_role, "buyer")
            self.assertEqual(form.agora_order_limit, 1000.0)
            form.agora_company_role = "approver"
        self.assertEqual(self.limited_buyer_alfa.partner_id.agora_company_role, "approver")

    def test_agreement_sets_client_threshold(self):
        """The agreement shows the client's threshold; set there, it is the
        company's."""
        with Form(self.agreement_alfa.with_user(self.sales_manager)) as form:
            self.assertEqual(form.agora_approval_threshold, 0.0)
            form.agora_approval_threshold = 3000.0
        self.assertEqual(self.client_alfa.agora_approval_threshold, 3000.0)
        event = self.client_alfa.agora_company_event_ids.filtered(
            lambda e: e.event_type == "threshold"
        )
        self.assertRecordValues(
            event, [{"author_id": self.sales_manager.partner_id.id, "new_value": "3000.0"}]
        )

    def test_order_views_show_the_approval(self):
        Order = self.env["sale.order"].with_user(self.staff)
        views = Order.get_views(
            [
                (self.env.ref("sale.view_order_form").id, "form"),
                (self.env.ref("agora_orders.sale_order_view_list_agora").id, "list"),
                (self.env.ref("agora_orders.sale_order_view_search_agora").id, "search"),
            ]
        )["views"]
        form = etree.fromstring(views["form"]["arch"])
        for name in (
            "agora_submitted_by_id",
            "agora_approval_requested_date",
            "agora_approved_by_id",
            "agora_approved_date",
            "agora_approval_comment",
            "agora_rejected_by_id",
            "agora_rejected_date",
            "agora_rejection_comment",
        ):
            with self.subTest(field=name):
                self.assertTrue(form.xpath(f"//field[@name='{name}']"))
        # Odoo's Confirm stays hidden on an order awaiting the client's approval.
        order = self._approval_order()
        for button in form.xpath("//header/button[@name='action_confirm']"):
            self.assertTrue(
                safe_eval(
                    button.get("invisible"),
                    {"agora_state": order.agora_state, "state": order.state},
                )
            )
        lst = etree.fromstring(views["list"]["arch"])
        (column,) = lst.xpath("//field[@name='agora_submitted_by_id']")
        self.assertEqual(column.get("optional"), "hide")
        # The form of the order awaiting approval opens for staff, with its status.
        with Form(order.with_user(self.staff)) as order_form:
            self.assertEqual(order_form.agora_state, "approval")
            self.assertEqual(order_form.agora_submitted_by_id, self.limited_buyer_alfa.partner_id)
        labels = dict(order._fields["agora_state"]._description_selection(self.env))
        self.assertEqual(labels["approval"], "Awaiting Approval")

    def test_approval_order_is_not_staff_work_to_do(self):
        """An order awaiting the client's approval is found by its own filter,
        not by "Processing" (what staff review), and gives staff no review
        activity; once approved, it is theirs to review."""
        order = self._approval_order()
        waiting = self._submitted_order(self.buyer_alfa, [(self.hammer, 1)])
        self.assertEqual(waiting.agora_state, "processing")
        search = etree.fromstring(
            self.env["sale.order"]
            .with_user(self.staff)
            .get_views([(self.env.ref("agora_orders.sale_order_view_search_agora").id, "search")])[
                "views"
            ]["search"]["arch"]
        )
        action = self.env.ref("agora_orders.agora_sale_order_action")
        Order = self.env["sale.order"].with_user(self.staff)

        def found(filter_name):
            (node,) = search.xpath(f"//filter[@name='{filter_name}']")
            domain = Domain(safe_eval(node.get("domain"), {"uid": self.staff.id}))
            domain &= Domain(safe_eval(action.domain))
            return Order.search(domain & Domain("partner_id", "child_of", self.client_alfa.id))

        self.assertEqual(found("agora_processing"), waiting)
        self.assertEqual(found("agora_approval"), order)
        review = self.env.ref("agora_orders.mail_activity_type_agora_review")
        self.assertFalse(order.activity_ids.filtered(lambda a: a.activity_type_id == review))
        self.assertTrue(waiting.activity_ids.filtered(lambda a: a.activity_type_id == review))

        order.with_user(self.approver_alfa).sudo()._agora_approve(self.approver_alfa.partner_id)
        self._flush_tracking()
        self.assertEqual(found("agora_processing"), waiting | order)
        self.assertFalse(found("agora_approval"))
        self.assertTrue(order.activity_ids.filtered(lambda a: a.activity_type_id == review))
