{
    "name": "Agora Portal",
    "summary": "The B2B client's cabinet: catalog at agreement prices, cart, file upload, "
    "repeat order, order history, returns and notifications",
    "version": "19.0.1.0.0",
    "category": "Website/Portal",
    "license": "LGPL-3",
    "author": "Agora for Odoo",
    "website": "https://github.com/agora-odoo/agora",
    "development_status": "Beta",
    "depends": ["portal", "agora_orders"],
    "external_dependencies": {"python": ["xlsxwriter", "openpyxl"]},
    "data": [],
    "assets": {},
    "installable": True,
}
