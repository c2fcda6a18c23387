from . import test_agora_lifecycle
from . import test_agora_refusals
from . import test_agora_reservation
from . import test_agora_returns
from . import test_agora_agreement
from . import test_agora_access
from . import test_agora_overview
from . import test_invoice_ru
