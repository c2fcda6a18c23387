from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    agora_1c_id = fields.Char(
        string="1C ID",
        index="btree_not_null",
        copy=False,
        help="The product's Ид in 1C (without a characteristic): the key the catalog "
        "exchange matches it on.",
    )
    agora_1c_image_checksum = fields.Char(
        string="1C Picture Checksum",
        copy=False,
        readonly=True,
        help="Technical: the SHA-1 of the picture file 1C last sent. Odoo stores pictures "
        "resized, so the exchange compares 1C's file with this rather than with the "
        "picture: an unchanged picture is not written again.",
    )
