from odoo import models


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _get_translation_frontend_modules_name(cls):
        """The modules whose scripts' texts a portal page loads translated.

        Odoo sends a frontend page the texts of ``web`` and ``portal`` only. Ours
        ("In cart: %s") come with ``agora_portal``; the chatter of the order card
        is mail's (its Thread and Composer: "The conversation is empty.",
        "Send"), which Odoo translates in the backend only.
        """
        return [*super()._get_translation_frontend_modules_name(), "mail", "agora_portal"]
