from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import content_disposition, request


class AgoraOrdersExport(http.Controller):
    @http.route("/agora_orders/export/xlsx", type="http", auth="user", methods=["GET"])
    def export_orders_xlsx(self, ids="", **kwargs):
        """Download the XLSX of the given orders, read with the user's own rights."""
        try:
            order_ids = [int(i) for i in ids.split(",") if i.strip()]
        except ValueError:
            return request.not_found()
        orders = request.env["sale.order"].browse(order_ids).exists()
        if not orders:
            return request.not_found()
        try:
            content = request.env["agora.order.xlsx"]._render(orders)
        except (AccessError, MissingError):
            return request.not_found()
        filename = request.env["agora.order.xlsx"]._filename(orders)
        return request.make_response(
            content,
            headers=[
                (
                    "Content-Type",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
                ("Content-Disposition", content_disposition(filename)),
            ],
        )
