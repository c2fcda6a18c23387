from . import test_company_approval
