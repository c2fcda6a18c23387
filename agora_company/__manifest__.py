{
    "name": "Agora Company Accounts",
    "summary": "Client company accounts on the portal: colleagues, roles (administrator, "
    "approver, buyer, viewer), amount limits and order approval",
    "version": "19.0.1.0.0",
    "category": "Website/Portal",
    "license": "LGPL-3",
    "author": "Agora for Odoo",
    "website": "https://github.com/agora-odoo/agora",
    "development_status": "Beta",
    "depends": ["agora_portal"],
    "data": [
        "security/agora_company_security.xml",
        "security/ir.model.access.csv",
        "data/mail_template_data.xml",
        "views/res_partner_views.xml",
        "views/agora_company_event_views.xml",
        "views/agora_agreement_views.xml",
        "views/sale_order_views.xml",
        "views/portal_company_templates.xml",
        "views/portal_approval_templates.xml",
    ],
    "demo": [
        "demo/agora_company_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "agora_company/static/tests/tours/*.js",
        ],
    },
    "installable": True,
}
