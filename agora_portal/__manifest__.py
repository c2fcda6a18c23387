{
    "name": "Agora Portal",
    "summary": "The B2B client's cabinet: catalog at agreement prices, cart, file upload, "
    "repeat order, order history, returns and notifications",
    "version": "19.0.1.2.0",
    "category": "Website/Portal",
    "license": "LGPL-3",
    "author": "Agora for Odoo",
    "website": "https://github.com/agora-odoo/agora",
    "development_status": "Beta",
    "depends": ["portal", "agora_orders"],
    "external_dependencies": {"python": ["xlsxwriter", "openpyxl"]},
    "data": [
        "security/agora_portal_security.xml",
        "security/ir.model.access.csv",
        "views/portal_templates.xml",
        "views/catalog_templates.xml",
        "views/cart_templates.xml",
        "views/requisition_templates.xml",
        "views/agora_requisition_list_views.xml",
    ],
    "demo": [
        "demo/agora_requisition_list_demo.xml",
    ],
    "assets": {
        "web.assets_frontend": [
            "agora_portal/static/src/interactions/*.js",
        ],
        "web.assets_tests": [
            "agora_portal/static/tests/tours/*.js",
        ],
    },
    "installable": True,
}
