from odoo import api, models


class AgoraCompanyDemo(models.AbstractModel):
    """Demo data helpers: the demo's client contacts act as they do on the
    portal, through the same model methods, so that the orders' statuses,
    histories, notifications and emails are the real ones.

    Called by ``demo/agora_company_demo.xml`` only (private methods are not
    callable through RPC).
    """

    _name = "agora.company.demo"
    _description = "Agora Company Accounts: Demo Helpers"

    def _agora_demo_as(self, login_xmlid, order_xmlid):
        """The order of ``order_xmlid`` as the portal controllers hold it: as
        the user of ``login_xmlid``, with ``sudo()`` (portal users only read
        orders)."""
        user = self.env.ref(login_xmlid)
        order = self.env.ref(order_xmlid)
        return order.with_user(user).sudo(), user.partner_id

    @api.model
    def _agora_demo_submit(self, login_xmlid, order_xmlids):
        """The user submits these carts as on /my/cart: to the supplier, or to
        the company's approval when above the user's limit."""
        for order_xmlid in order_xmlids:
            order, _partner = self._agora_demo_as(login_xmlid, order_xmlid)
            order._agora_cart_submit()
        return True

    @api.model
    def _agora_demo_approve(self, login_xmlid, order_xmlid, comment=""):
        """The user (an approver of the order's company) approves the order."""
        order, approver = self._agora_demo_as(login_xmlid, order_xmlid)
        return order._agora_approve(approver, comment)

    @api.model
    def _agora_demo_reject(self, login_xmlid, order_xmlid, comment):
        """The user returns the order to its buyer with ``comment``."""
        order, approver = self._agora_demo_as(login_xmlid, order_xmlid)
        return order._agora_reject(approver, comment)
