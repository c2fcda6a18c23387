from . import agora_reserve_extend_wizard
from . import agora_return_reject_wizard
