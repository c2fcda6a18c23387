from unittest.mock import patch

from odoo.exceptions import AccessError, LockError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged

from .common import AgoraCompanyDataMixin


@tagged("post_install", "-at_install")
class TestCompanyHistory(AgoraCompanyDataMixin, TransactionCase):
    """Every change of a client company's portal accounts is in its history,
    whoever makes it; who sees which orders follows the roles at once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_agora_company_data()
        cls.sales_manager = new_test_user(
            cls.env,
            login="agc_manager",
            name="Mark Manager",
            groups="sales_team.group_sale_manager,base.group_partner_manager",
        )

    def _events(self, **domain):
        return self.env["agora.company.event"].search(
            [("client_id", "=", self.client_alfa.id)]
            + [(key, "=", value) for key, value in domain.items()]
        )

    def test_staff_change_is_logged_with_old_and_new_value(self):
        bogdan = self.limited_buyer_alfa.partner_id
        bogdan.with_user(self.sales_manager).write(
            {"agora_company_role": "approver", "agora_order_limit": 2500.0}
        )
        role = self._events(partner_id=bogdan.id, event_type="role")
        self.assertRecordValues(
            role,
            [
                {
                    "old_value": "buyer",
                    "new_value": "approver",
                    "author_id": self.sales_manager.partner_id.id,
                    "author_is_staff": True,
                }
            ],
        )
        self.assertEqual(role.old_value_display, "Buyer")
        self.assertEqual(role.new_value_display, "Approver")
        # The newest first: the limit was set to 1,000 when the data was made.
        limit = self._events(partner_id=bogdan.id, event_type="limit")[0]
        self.assertEqual((limit.old_value, limit.new_value), ("1000.0", "2500.0"))
        self.assertIn("2,500.00", limit.new_value_display)

    def test_administrator_change_is_logged_as_theirs(self):
        admin = self.admin_alfa.partner_id.with_user(self.admin_alfa).sudo()
        admin._agora_update_colleague(self.buyer_alfa.partner_id, "viewer", "")
        admin._agora_update_company_settings("750", False)
        role = self._events(partner_id=self.buyer_alfa.partner_id.id, event_type="role")
        self.assertEqual(role.author_id, self.admin_alfa.partner_id)
        self.assertFalse(role.author_is_staff)
        visibility = self._events(event_type="visibility")
        self.assertEqual(
            (visibility.old_value_display, visibility.new_value_display), ("Yes", "No")
        )
        self.assertFalse(visibility.partner_id, "a company setting concerns no one colleague")
        threshold = self._events(event_type="threshold")
        self.assertEqual(threshold.old_value_display, "No limit")

    def test_contact_created_with_a_role_is_logged(self):
        """A contact created with a role or a limit, in its values or as the
        defaults of a form's context, has it in the history."""
        Partner = self.env["res.partner"].with_user(self.sales_manager)
        by_values = Partner.create(
            {"name": "Val Values", "parent_id": self.client_alfa.id, "agora_order_limit": 300.0}
        )
        by_default = Partner.with_context(default_agora_company_role="approver").create(
            {"name": "Dina Default", "parent_id": self.client_alfa.id}
        )
        plain = Partner.create({"name": "Petr Plain", "parent_id": self.client_alfa.id})
        self.assertEqual(self._events(partner_id=by_values.id).mapped("event_type"), ["limit"])
        role = self._events(partner_id=by_default.id)
        self.assertEqual(role.event_type, "role")
        self.assertEqual((role.old_value, role.new_value), ("", "approver"))
        self.assertEqual(role.author_id, self.sales_manager.partner_id)
        self.assertFalse(self._events(partner_id=plain.id))

    def test_nothing_changed_nothing_logged(self):
        admin = self.admin_alfa.partner_id.with_user(self.admin_alfa).sudo()
        before = len(self._events())
        self.assertFalse(admin._agora_update_colleague(self.buyer_alfa.partner_id, "buyer", "0"))
        self.assertEqual(len(self._events()), before)

    def test_portal_users_cannot_write_roles_over_rpc(self):
        for user in (self.limited_buyer_alfa, self.admin_alfa):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                user.partner_id.with_user(user).write(
                    {"agora_company_role": "admin", "agora_order_limit": 0}
                )
        self.assertEqual(self.limited_buyer_alfa.partner_id.agora_order_limit, 1000.0)
        with self.assertRaises(AccessError):
            self.env["agora.company.event"].with_user(self.admin_alfa).search([])

    def test_last_administrator_stays(self):
        admin = self.admin_alfa.partner_id.with_user(self.admin_alfa).sudo()
        with self.assertRaisesRegex(UserError, "last administrator"):
            admin._agora_update_colleague(self.admin_alfa.partner_id, "buyer", "")
        with self.assertRaises(UserError):
            admin._agora_set_colleague_access(self.admin_alfa.partner_id, False)
        self.assertEqual(self.admin_alfa.partner_id.agora_company_role, "admin")
        # With a second administrator, the first may step down.
        admin._agora_update_colleague(self.approver_alfa.partner_id, "admin", "")
        admin._agora_update_colleague(self.admin_alfa.partner_id, "buyer", "")
        self.assertEqual(self.admin_alfa.partner_id.agora_company_role, "buyer")

    def test_administrators_changed_by_a_colleague_at_that_moment(self):
        """Two administrators removing each other at once: while one's
        transaction holds the administrators' rows, the other is asked to try
        again, and nothing of theirs is applied."""
        admin = self.admin_alfa.partner_id.with_user(self.admin_alfa).sudo()
        admin._agora_update_colleague(self.approver_alfa.partner_id, "admin", "")
        Partner = type(self.env["res.partner"])

        def locked_elsewhere(records, *args, **kwargs):
            raise LockError("could not obtain lock on row in relation res_partner")

        with (
            patch.object(Partner, "lock_for_update", locked_elsewhere),
            self.assertRaisesRegex(UserError, "changing your company's administrators right now"),
        ):
            admin._agora_update_colleague(self.approver_alfa.partner_id, "buyer", "")
        self.assertEqual(self.approver_alfa.partner_id.agora_company_role, "admin")
        # Free again: the change goes through.
        admin._agora_update_colleague(self.approver_alfa.partner_id, "buyer", "")
        self.assertEqual(self.approver_alfa.partner_id.agora_company_role, "buyer")

    def test_visibility_follows_the_roles_at_once(self):
        """Odoo caches each user's record rules: a change of role or of the
        company's setting shows at once in what a buyer can read."""
        bogdan_order = self._cart(self.limited_buyer_alfa, [(self.hammer, 1)])
        SaleOrder = self.env["sale.order"].with_user(self.buyer_alfa)
        self.assertIn(bogdan_order, SaleOrder.search([]))
        self.client_alfa.agora_buyers_see_company_orders = False
        self.assertNotIn(bogdan_order, SaleOrder.search([]))
        with self.assertRaises(AccessError):
            bogdan_order.with_user(self.buyer_alfa).check_access("read")
        with self.assertRaises(AccessError):
            bogdan_order.order_line.with_user(self.buyer_alfa).check_access("read")
        # Arkady becomes a viewer: he sees the company's orders again.
        self.buyer_alfa.partner_id.agora_company_role = "viewer"
        self.assertIn(bogdan_order, SaleOrder.search([]))
        # Beta never sees Alfa's.
        self.assertNotIn(bogdan_order, self.env["sale.order"].with_user(self.user_beta).search([]))

    def test_catalog_shows_only_the_orders_a_buyer_may_see(self):
        """A product's last orders and "ordered before" follow the same rule."""
        bogdan_order = self._submitted_order(self.limited_buyer_alfa, [(self.glue, 2)])
        arkady = self.buyer_alfa.partner_id
        Catalog = self.env["agora.catalog"].with_user(self.buyer_alfa)
        self.assertEqual(Catalog._last_order_lines(arkady, self.glue).order_id, bogdan_order)
        ordered_before = Catalog._ordered_before_domain(arkady)
        self.assertIn(self.glue, self.env["product.product"].search(ordered_before))
        self.client_alfa.agora_buyers_see_company_orders = False
        self.assertFalse(Catalog._last_order_lines(arkady, self.glue))
        ordered_before = Catalog._ordered_before_domain(arkady)
        self.assertNotIn(self.glue, self.env["product.product"].search(ordered_before))
        # The administrator still sees the company's.
        admin = self.admin_alfa.partner_id
        self.assertEqual(Catalog._last_order_lines(admin, self.glue).order_id, bogdan_order)

    def test_invitation_refuses_a_colleague_already_there(self):
        """Bogdan's login is not his email: his email still cannot be invited
        a second time."""
        admin = self.admin_alfa.partner_id.with_user(self.admin_alfa).sudo()
        Partner = self.env["res.partner"].with_context(active_test=False)
        before = Partner.search_count([("email", "=ilike", "agc_bogdan@alfa.example.com")])
        with self.assertRaisesRegex(UserError, "already has an account"):
            admin._agora_invite_colleague("Bogdan Again", "AGC_Bogdan@alfa.example.com")
        after = Partner.search_count([("email", "=ilike", "agc_bogdan@alfa.example.com")])
        self.assertEqual(before, after)

    def test_portal_access_given_or_removed_by_staff_is_logged(self):
        """Staff use Odoo's portal wizard: the company's history has it too."""
        bogdan = self.limited_buyer_alfa.partner_id
        wizard = (
            self.env["portal.wizard"]
            .with_user(self.sales_manager)
            .create({"partner_ids": [bogdan.id]})
        )
        wizard.user_ids.action_revoke_access()
        self.assertFalse(self.limited_buyer_alfa.active)
        removed = self._events(partner_id=bogdan.id, event_type="deactivated")
        self.assertEqual(removed.author_id, self.sales_manager.partner_id)
        # A new contact given access by staff: invited, with its login.
        newcomer = self.env["res.partner"].create(
            {
                "name": "Nina New",
                "email": "nina@alfa.example.com",
                "parent_id": self.client_alfa.id,
            }
        )
        wizard = (
            self.env["portal.wizard"]
            .with_user(self.sales_manager)
            .create({"partner_ids": [newcomer.id]})
        )
        wizard.user_ids.action_grant_access()
        invited = self._events(partner_id=newcomer.id, event_type="invited")
        self.assertEqual(invited.new_value, "nina@alfa.example.com")
        self.assertEqual(invited.author_id, self.sales_manager.partner_id)

    def test_a_subsidiary_is_not_a_colleague(self):
        """A company under the client (its own commercial partner) keeps its
        people to itself."""
        subsidiary = self.env["res.partner"].create(
            {"name": "Alfa Sub", "is_company": True, "parent_id": self.client_alfa.id}
        )
        sub_user = self._agp_portal_user("agc_sub", "Sub Buyer", subsidiary)
        contacts = self.admin_alfa.partner_id._agora_company_contacts()
        self.assertIn(self.limited_buyer_alfa.partner_id, contacts)
        self.assertNotIn(sub_user.partner_id, contacts)
        admin = self.admin_alfa.partner_id.with_user(self.admin_alfa).sudo()
        with self.assertRaises(AccessError):
            admin._agora_update_colleague(sub_user.partner_id, "viewer", "")
        self.assertEqual(sub_user.partner_id.agora_company_role, "buyer")
