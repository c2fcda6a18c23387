import { registry } from "@web/core/registry";

/**
 * A client who reads Russian: what the scripts write is Russian too, ours
 * (the catalog's "In cart") and the order card's chatter (mail's); the card
 * offers no "Connect with your software!".
 */
registry.category("web_tour.tours").add("agora_portal_ru_tour", {
    url: "/my/catalog",
    steps: () => [
        {
            content: "Add a product without leaving the catalog",
            trigger: ".o_agora_product_row .o_agora_js_ready .o_agora_add_btn",
            run: "click",
        },
        {
            content: "Our script answers in Russian",
            trigger: ".o_agora_product_row .o_agora_added:contains('В корзине:')",
        },
        {
            content: "Open the orders",
            trigger: ".o_agora_nav a[href$='/my/orders']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Open the order",
            trigger: ".o_portal_my_doc_table a[href*='/my/orders/']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The card's chatter speaks Russian (mail's texts)",
            trigger: "#chatterRoot:shadow .o-mail-Composer-send:contains('Отправить')",
        },
        {
            trigger: "#chatterRoot:shadow .o-mail-Thread:contains('Беседа пуста.')",
        },
        {
            content: "No software to connect",
            trigger: "body:not(:has(#portal_connect_software_modal_btn)) #agora_status",
        },
    ],
});
