from odoo.addons.agora_portal.tests.common import AgoraPortalDataMixin


class AgoraCompanyDataMixin(AgoraPortalDataMixin):
    """The two client companies of ``AgoraPortalDataMixin``, with Alfa's
    portal accounts configured (password = login + "_pwd"):

    * Alfa: Anna (``user_alfa``) administrator; Arkady (``user_alfa2``)
      buyer without a limit; Polina approver up to 5,000; Bogdan buyer up to
      1,000; Vera viewer.
    * Beta: Boris (``user_beta``), a buyer as every contact by default.

    Prices (Alfa's price list): Hammer 90 + 20 % VAT = 108 per piece; Drill
    900 + VAT = 1,080.
    """

    @classmethod
    def _setup_agora_company_data(cls):
        cls._setup_agora_data()
        cls.admin_alfa = cls.user_alfa
        cls.buyer_alfa = cls.user_alfa2
        cls.approver_alfa = cls._agp_portal_user("agc_polina", "Polina Approver", cls.client_alfa)
        cls.limited_buyer_alfa = cls._agp_portal_user(
            "agc_bogdan", "Bogdan Buyer", cls.client_alfa
        )
        cls.viewer_alfa = cls._agp_portal_user("agc_vera", "Vera Viewer", cls.client_alfa)
        cls.admin_alfa.partner_id.agora_company_role = "admin"
        cls.approver_alfa.partner_id.write(
            {"agora_company_role": "approver", "agora_order_limit": 5000.0}
        )
        cls.limited_buyer_alfa.partner_id.agora_order_limit = 1000.0
        cls.viewer_alfa.partner_id.agora_company_role = "viewer"
        for user in (cls.approver_alfa, cls.limited_buyer_alfa, cls.viewer_alfa):
            user.partner_id.email = f"{user.login}@alfa.example.com"
        cls.admin_alfa.partner_id.email = "anna@alfa.example.com"
        cls.buyer_alfa.partner_id.email = "arkady@alfa.example.com"
