from . import test_cart_model
from . import test_cart_import
from . import test_portal_catalog
from . import test_portal_cart
from . import test_portal_orders
from . import test_portal_tour
from . import test_portal_queries
from . import test_catalog_price_sort
