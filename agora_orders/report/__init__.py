from . import agora_client_overview
from . import agora_order_xlsx
from . import agora_invoice_ru
