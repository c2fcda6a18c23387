from . import test_agora_lifecycle
