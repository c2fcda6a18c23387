from . import agora_reserve_extend_wizard
from . import agora_return_reject_wizard
from . import agora_credit_override_wizard
