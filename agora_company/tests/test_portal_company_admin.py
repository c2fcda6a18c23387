from odoo.exceptions import AccessDenied
from odoo.tests import tagged
from odoo.tools import format_amount

from odoo.addons.agora_portal.tests.common import AgoraPortalHttpCase
from odoo.addons.mail.tests.common import MockEmail

from .common import AgoraCompanyDataMixin

REFUSAL = "Only an administrator of your company can manage its colleagues."


@tagged("post_install", "-at_install")
class TestPortalCompanyAdmin(AgoraCompanyDataMixin, AgoraPortalHttpCase, MockEmail):
    """/my/company: the client company's administrator manages colleagues,
    and nobody else can."""

    @classmethod
    def setUpClass(cls):
        # HttpCase's setup, not AgoraPortalHttpCase's: the company's data build
        # the portal's data themselves (once).
        super(AgoraPortalHttpCase, cls).setUpClass()
        cls._setup_agora_company_data()
        cls.anna = cls.admin_alfa.partner_id
        cls.arkady = cls.buyer_alfa.partner_id
        cls.bogdan = cls.limited_buyer_alfa.partner_id
        cls.polina = cls.approver_alfa.partner_id
        cls.vera = cls.viewer_alfa.partner_id

    # ------------------------------------------------------------------

    def _events(self, **domain):
        self.env.invalidate_all()
        return self.env["agora.company.event"].search(
            [("client_id", "=", self.client_alfa.id)]
            + [(field, "=", value) for field, value in domain.items()]
        )

    def _mails_to(self, email):
        """The emails queued or sent to ``email`` (kept by ``mock_mail_gateway``)."""
        self.env.invalidate_all()
        return self.env["mail.mail"].search(
            ["|", ("email_to", "ilike", email), ("recipient_ids.email", "=ilike", email)]
        )

    def _company_state(self):
        """Everything a page of /my/company could change, to prove it did not."""
        self.env.invalidate_all()
        contacts = (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search([("id", "child_of", (self.client_alfa | self.client_beta).ids)])
        )
        return {
            "contacts": [
                (
                    p.id,
                    p.agora_company_role,
                    p.agora_order_limit,
                    p.active,
                    [(u.id, u.active, u._is_portal()) for u in p.user_ids],
                )
                for p in contacts
            ],
            "companies": [
                (c.agora_approval_threshold, c.agora_buyers_see_company_orders)
                for c in self.client_alfa | self.client_beta
            ],
            "events": self.env["agora.company.event"].search_count([]),
            "users": self.env["res.users"].with_context(active_test=False).search_count([]),
        }

    def _all_posts(self, target):
        """One POST to each route of /my/company, about ``target``."""
        return [
            ("/my/company/settings", {"threshold": "1", "buyers_see_company_orders": ""}),
            (f"/my/company/colleague/{target.id}", {"role": "admin", "limit": "99"}),
            (f"/my/company/colleague/{target.id}/access", {"active": "0"}),
            (
                "/my/company/invite",
                {"name": "Intruder", "email": "intruder@example.com", "role": "admin"},
            ),
        ]

    # ------------------------------------------------------------------
    # What the administrator sees
    # ------------------------------------------------------------------

    def test_admin_sees_colleagues_and_history(self):
        self._login(self.admin_alfa)
        response = self._get("/my/company")
        self.assertEqual(response.status_code, 200)
        page = response.text
        for name in ("Anna Alfa", "Arkady Alfa", "Polina Approver", "Bogdan Buyer", "Vera Viewer"):
            self.assertIn(name, page)
        self.assertIn("agc_bogdan@alfa.example.com", page)
        self.assertNotIn("Boris Beta", page)
        for label in ("Administrator", "Approver", "Viewer", "Invite a colleague"):
            self.assertIn(label, page)
        # The history: Polina made an approver (in the setup), newest first.
        self.assertIn("o_agora_company_history", page)
        self.assertIn("Role Changed", page)
        self.assertIn("Order Limit Changed", page)
        self.assertEqual(page.count('class="o_agora_company_event"'), len(self._events()))
        # The company's settings form, and the Agora menu's entry.
        self.assertIn('action="/my/company/settings"', page)
        self.assertIn("o_agora_nav_company", page)

    def test_home_entry_and_own_role(self):
        self._login(self.admin_alfa)
        page = self._get("/my").text
        self.assertIn('href="/my/company"', page)
        self.assertIn("Your role: Administrator", page)
        self._login(self.limited_buyer_alfa)
        page = self._get("/my").text
        self.assertNotIn('href="/my/company"', page)
        limit = format_amount(self.env, 1000.0, self.bogdan.agora_limit_currency_id)
        self.assertIn(f"Your role: Buyer, limit {limit}", page)
        # No "Company" in the Agora menu of a buyer either.
        self.assertNotIn("o_agora_nav_company", self._get("/my/cart").text)

    # ------------------------------------------------------------------
    # Changes
    # ------------------------------------------------------------------

    def test_admin_changes_role_and_limit(self):
        self._login(self.admin_alfa)
        response = self._post(
            f"/my/company/colleague/{self.bogdan.id}", {"role": "approver", "limit": "2 500"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Bogdan Buyer: the role and the limit are saved.", response.text)
        self.env.invalidate_all()
        self.assertRecordValues(
            self.bogdan, [{"agora_company_role": "approver", "agora_order_limit": 2500.0}]
        )
        role_event = self._events(partner_id=self.bogdan.id, event_type="role")
        self.assertRecordValues(
            role_event,
            [{"old_value": "buyer", "new_value": "approver", "author_id": self.anna.id}],
        )
        limit_event = self._events(partner_id=self.bogdan.id, event_type="limit")[0]
        self.assertEqual(float(limit_event.old_value), 1000.0)
        self.assertEqual(float(limit_event.new_value), 2500.0)
        self.assertEqual(limit_event.author_id, self.anna)
        # The page shows the change in the history.
        self.assertIn("Approver", response.text)
        self.assertIn(limit_event.new_value_display, response.text)

    def test_admin_changes_company_settings(self):
        self._login(self.admin_alfa)
        response = self._post("/my/company/settings", {"threshold": "3000"})
        self.assertIn("The company&#39;s settings are saved.", response.text)
        self.env.invalidate_all()
        self.assertRecordValues(
            self.client_alfa,
            [{"agora_approval_threshold": 3000.0, "agora_buyers_see_company_orders": False}],
        )
        self.assertEqual(self._events(event_type="threshold").new_value, "3000.0")
        self.assertEqual(self._events(event_type="visibility").new_value, "0")
        # A negative threshold is refused; nothing changes.
        before = self._company_state()
        response = self._post(
            "/my/company/settings", {"threshold": "-5", "buyers_see_company_orders": "1"}
        )
        self.assertIn("The limit cannot be negative.", response.text)
        self.assertEqual(self._company_state(), before)

    def test_admin_invites_colleague(self):
        self._login(self.admin_alfa)
        with self.mock_mail_gateway():
            response = self._post(
                "/my/company/invite",
                {
                    "name": "Galina New",
                    "email": "Galina@Alfa.example.com",
                    "role": "approver",
                    "limit": "7000",
                },
            )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Galina New is invited", response.text)
        self.env.invalidate_all()
        galina = self.env["res.partner"].search([("email", "=", "galina@alfa.example.com")])
        self.assertRecordValues(
            galina,
            [
                {
                    "name": "Galina New",
                    "parent_id": self.client_alfa.id,
                    "commercial_partner_id": self.client_alfa.id,
                    "agora_company_role": "approver",
                    "agora_order_limit": 7000.0,
                }
            ],
        )
        user = galina.user_ids
        self.assertEqual(len(user), 1)
        self.assertTrue(user.active)
        self.assertTrue(user._is_portal())
        self.assertEqual(user.login, "galina@alfa.example.com")
        invitation = self._mails_to("galina@alfa.example.com")
        self.assertEqual(len(invitation), 1)
        self.assertIn(user.company_id.name, invitation.subject)
        invited = self._events(partner_id=galina.id, event_type="invited")
        self.assertRecordValues(
            invited, [{"new_value": "galina@alfa.example.com", "author_id": self.anna.id}]
        )
        # The new colleague is on the list, with a portal access.
        self.assertIn("Galina New", self._get("/my/company").text)

    def test_invite_bad_input_creates_nothing(self):
        self._login(self.admin_alfa)
        with self.mock_mail_gateway():
            self._post(
                "/my/company/invite", {"name": "Galina", "email": "galina@alfa.example.com"}
            )
        self.assertEqual(len(self._new_mails), 1)
        before = self._company_state()
        cases = [
            ({"email": "not-an-email"}, "not-an-email is not a valid email address."),
            ({"email": "GALINA@alfa.example.com"}, "already exists"),
            ({"limit": "-100"}, "The limit cannot be negative."),
            ({"limit": "a lot"}, "The limit must be an amount"),
            ({"role": "owner"}, "Please choose one of the roles."),
            ({"name": "  "}, "Please enter the colleague&#39;s name."),
        ]
        for values, message in cases:
            with self.subTest(values=values), self.mock_mail_gateway():
                data = {"name": "Gleb", "email": "gleb@alfa.example.com", "role": "buyer"}
                data.update(values)
                response = self._post("/my/company/invite", data)
                self.assertEqual(response.status_code, 200)
                self.assertIn(message, response.text)
                # What was typed is in the form again.
                self.assertIn(f'value="{data["email"]}"', response.text)
                self.assertEqual(self._company_state(), before)
                self.assertFalse(self._new_mails)

    def test_update_bad_input_changes_nothing(self):
        self._login(self.admin_alfa)
        before = self._company_state()
        for values, message in [
            ({"role": "buyer", "limit": "-1"}, "The limit cannot be negative."),
            ({"role": "boss", "limit": "10"}, "Please choose one of the roles."),
        ]:
            with self.subTest(values=values):
                response = self._post(f"/my/company/colleague/{self.bogdan.id}", values)
                self.assertIn(message, response.text)
                self.assertEqual(self._company_state(), before)

    def test_last_admin_cannot_demote_or_remove_himself(self):
        self._login(self.admin_alfa)
        before = self._company_state()
        response = self._post(
            f"/my/company/colleague/{self.anna.id}", {"role": "buyer", "limit": ""}
        )
        self.assertIn("Anna Alfa is the last administrator of your company", response.text)
        self.assertEqual(self._company_state(), before)
        response = self._post(f"/my/company/colleague/{self.anna.id}/access", {"active": "0"})
        self.assertIn("You cannot remove your own access.", response.text)
        self.assertEqual(self._company_state(), before)
        # Still the administrator: the page opens.
        self.assertEqual(self._get("/my/company").status_code, 200)

    def test_deactivate_and_restore_buyer(self):
        self._login(self.admin_alfa)
        response = self._post(f"/my/company/colleague/{self.arkady.id}/access", {"active": "0"})
        self.assertIn("Arkady Alfa can no longer sign in to the portal.", response.text)
        self.env.invalidate_all()
        self.assertFalse(self.buyer_alfa.active)
        self.assertEqual(len(self._events(partner_id=self.arkady.id, event_type="deactivated")), 1)
        # Still listed, without access, with a button to restore it.
        self.assertIn("Restore access", response.text)
        with self.assertRaises(AccessDenied):
            self._login(self.buyer_alfa)

        self._login(self.admin_alfa)
        with self.mock_mail_gateway():
            response = self._post(
                f"/my/company/colleague/{self.arkady.id}/access", {"active": "1"}
            )
        self.assertIn("The access of Arkady Alfa is restored", response.text)
        self.env.invalidate_all()
        self.assertTrue(self.buyer_alfa.active)
        self.assertTrue(self.buyer_alfa._is_portal())
        self.assertEqual(len(self._events(partner_id=self.arkady.id, event_type="reactivated")), 1)
        self.assertEqual(len(self._mails_to("arkady@alfa.example.com")), 1)
        self._login(self.buyer_alfa)
        self.assertEqual(self._get("/my/cart").status_code, 200)

    # ------------------------------------------------------------------
    # Refusals
    # ------------------------------------------------------------------

    def test_others_are_refused(self):
        before = self._company_state()
        for user in (
            self.approver_alfa,
            self.buyer_alfa,
            self.limited_buyer_alfa,
            self.viewer_alfa,
            self.user_beta,
            self.salesman,
        ):
            with self.subTest(user=user.login):
                if user == self.salesman:
                    self.authenticate(user.login, user.login)
                else:
                    self._login(user)
                response = self._get("/my/company")
                self.assertEqual(response.status_code, 403)
                self.assertIn(REFUSAL, response.text)
                self.assertNotIn("o_agora_colleagues", response.text)
                for url, data in self._all_posts(self.bogdan):
                    with self.mock_mail_gateway():
                        response = self._post(url, data)
                    self.assertEqual(response.status_code, 403, url)
                    self.assertIn(REFUSAL, response.text)
                    self.assertFalse(self._new_mails)
                self.assertEqual(self._company_state(), before)

    def test_other_company_admin_cannot_touch_alfa(self):
        self.partner_beta.agora_company_role = "admin"
        self._login(self.user_beta)
        page = self._get("/my/company").text
        self.assertIn("Boris Beta", page)
        self.assertNotIn("Bogdan Buyer", page)
        before = self._company_state()
        for url, data in self._all_posts(self.bogdan)[1:3]:
            response = self._post(url, data)
            self.assertIn("This person is not a colleague of your company.", response.text)
        self.assertEqual(self._company_state(), before)

    def test_post_without_csrf_is_refused(self):
        self._login(self.admin_alfa)
        before = self._company_state()
        for url, data in self._all_posts(self.bogdan):
            with self.subTest(url=url), self.mock_mail_gateway():
                response = self._post(url, data, csrf=False)
                self.assertIn(response.status_code, (400, 403))
                self.assertFalse(self._new_mails)
        self.assertEqual(self._company_state(), before)
