from . import portal
from . import catalog
from . import cart
from . import payment
from . import requisition
