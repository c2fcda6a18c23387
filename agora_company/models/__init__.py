from . import (
    agora_agreement,
    agora_catalog,
    agora_client_overview,
    agora_company_demo,
    agora_company_event,
    agora_notification,
    agora_order_event,
    res_partner,
    res_partner_backend,
    res_partner_colleagues,
    res_users,
    sale_order,
)
