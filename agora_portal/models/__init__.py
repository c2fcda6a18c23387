from . import sale_order
from . import agora_catalog
from . import agora_cart_import
from . import agora_cart_import_line
