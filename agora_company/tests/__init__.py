from . import (
    test_agora_company_demo,
    test_company_approval,
    test_company_history,
    test_company_queries,
    test_company_russian,
    test_company_tour,
    test_portal_approval,
    test_portal_company_admin,
)
