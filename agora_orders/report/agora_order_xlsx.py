import io

import xlsxwriter

from odoo import api, models


class AgoraOrderXlsx(models.AbstractModel):
    """XLSX export of Agora orders: one sheet of orders, one of their lines."""

    _name = "agora.order.xlsx"
    _description = "Agora Orders XLSX Export"

    @api.model
    def _render(self, orders):
        """Return the XLSX file (bytes) of ``orders``, read with the user's rights."""
        orders.check_access("read")
        env = self.env
        state_labels = dict(orders._fields["agora_state"]._description_selection(env))
        pay_labels = dict(orders._fields["agora_payment_status"]._description_selection(env))
        ship_labels = dict(orders._fields["agora_delivery_status"]._description_selection(env))
        buffer = io.BytesIO()
        book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
        bold = book.add_format({"bold": True, "bg_color": "#E8E8E8", "border": 1})
        money = book.add_format({"num_format": "#,##0.00"})
        qty = book.add_format({"num_format": "#,##0.###"})
        date = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})

        sheet = book.add_worksheet(env._("Orders"))
        headers = [
            env._("Order"),
            env._("Date"),
            env._("Client"),
            env._("Client Reference"),
            env._("Agora Status"),
            env._("Payment Status"),
            env._("Shipping Status"),
            env._("Reserved Until"),
            env._("Untaxed"),
            env._("Total"),
            env._("Amount Due"),
            env._("Currency"),
            env._("Salesperson"),
        ]
        sheet.write_row(0, 0, headers, bold)
        for row, order in enumerate(orders, start=1):
            sheet.write_string(row, 0, order.name)
            sheet.write_datetime(row, 1, order.date_order, date)
            sheet.write_string(row, 2, order.partner_id.display_name or "")
            sheet.write_string(row, 3, order.client_order_ref or "")
            sheet.write_string(row, 4, state_labels.get(order.agora_state, ""))
            sheet.write_string(row, 5, pay_labels.get(order.agora_payment_status, ""))
            sheet.write_string(row, 6, ship_labels.get(order.agora_delivery_status, ""))
            if order.agora_reserve_deadline:
                sheet.write_datetime(row, 7, order.agora_reserve_deadline, date)
            sheet.write_number(row, 8, order.amount_untaxed, money)
            sheet.write_number(row, 9, order.amount_total, money)
            sheet.write_number(row, 10, order.agora_amount_unpaid, money)
            sheet.write_string(row, 11, order.currency_id.name or "")
            sheet.write_string(row, 12, order.user_id.name or "")
        sheet.set_column(0, 0, 12)
        sheet.set_column(1, 1, 17)
        sheet.set_column(2, 2, 32)
        sheet.set_column(3, 12, 15)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(orders), 1), len(headers) - 1)

        lines_sheet = book.add_worksheet(env._("Lines"))
        line_headers = [
            env._("Order"),
            env._("SKU"),
            env._("Product"),
            env._("Ordered"),
            env._("Reserved"),
            env._("Shipped"),
            env._("Returned"),
            env._("Unit"),
            env._("Unit Price"),
            env._("Discount (%)"),
            env._("Subtotal"),
            env._("Total"),
        ]
        lines_sheet.write_row(0, 0, line_headers, bold)
        row = 1
        for order in orders:
            for line in order.order_line.filtered(lambda l: not l.display_type):
                lines_sheet.write_string(row, 0, order.name)
                lines_sheet.write_string(row, 1, line.product_id.default_code or "")
                lines_sheet.write_string(row, 2, line.product_id.display_name or line.name)
                lines_sheet.write_number(row, 3, line.product_uom_qty, qty)
                lines_sheet.write_number(row, 4, line.agora_qty_reserved, qty)
                lines_sheet.write_number(row, 5, line.agora_qty_shipped, qty)
                lines_sheet.write_number(row, 6, line.agora_qty_returned, qty)
                lines_sheet.write_string(row, 7, line.product_uom_id.name or "")
                lines_sheet.write_number(row, 8, line.price_unit, money)
                lines_sheet.write_number(row, 9, line.discount, qty)
                lines_sheet.write_number(row, 10, line.price_subtotal, money)
                lines_sheet.write_number(row, 11, line.price_total, money)
                row += 1
        lines_sheet.set_column(0, 1, 14)
        lines_sheet.set_column(2, 2, 40)
        lines_sheet.set_column(3, 11, 12)
        lines_sheet.freeze_panes(1, 0)
        book.close()
        return buffer.getvalue()

    @api.model
    def _filename(self, orders):
        if len(orders) == 1:
            return f"{orders.name.replace('/', '-')}.xlsx"
        return self.env._("agora_orders.xlsx")
