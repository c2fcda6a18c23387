from . import agora_1c_import_wizard
