from . import (
    test_agora_1c_backend,
    test_agora_1c_catalog_import,
    test_agora_1c_orders,
    test_agora_1c_protocol,
)
