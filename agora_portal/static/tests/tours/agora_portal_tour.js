import { registry } from "@web/core/registry";

/**
 * A client orders: search the catalog, add two products without leaving the
 * page, add a line by SKU in the cart (keyboard only), upload a file, check
 * it, confirm, submit, and see the order "Processing".
 */
registry.category("web_tour.tours").add("agora_portal_tour", {
    url: "/my/catalog",
    steps: () => [
        {
            content: "Search the catalog",
            trigger: ".o_agora_catalog_search input[name=search]",
            run: "edit hammer",
        },
        {
            trigger: ".o_agora_search_btn",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Only the hammer is found",
            trigger: ".o_agora_catalog:not(:has(.o_agora_product_row:contains('Drill'))) .o_agora_product_row:contains('Hammer Steel')",
        },
        {
            content: "Three hammers",
            trigger: ".o_agora_product_row:contains('Hammer Steel') .o_agora_qty",
            run: "edit 3",
        },
        {
            trigger: ".o_agora_product_row:contains('Hammer Steel') .o_agora_js_ready .o_agora_add_btn",
            run: "click",
        },
        {
            content: "Added without reloading the page",
            trigger: ".o_agora_product_row:contains('Hammer Steel') .o_agora_added:contains('3')",
        },
        {
            trigger: ".o_agora_nav .o_agora_cart_count:contains('1')",
        },
        {
            content: "Back to the whole catalog",
            trigger: ".o_agora_nav a[href='/my/catalog']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            trigger: ".o_agora_product_row:contains('Drill Power') .o_agora_js_ready .o_agora_add_btn",
            run: "click",
        },
        {
            trigger: ".o_agora_nav .o_agora_cart_count:contains('2')",
        },
        {
            content: "Open the cart",
            trigger: ".o_agora_nav a[href='/my/cart']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Add a line: type the beginning of a SKU",
            trigger: ".o_agora_quick_add.o_agora_js_ready .o_agora_quick_code",
            run: "edit AGP-GLU",
        },
        {
            trigger: ".o_agora_quick_result.active:contains('AGP-GLU-05')",
        },
        {
            content: "Enter picks the product and moves to the quantity",
            trigger: ".o_agora_quick_code",
            run: "press Enter",
        },
        {
            content: "The product is picked",
            trigger: ".o_agora_quick_add:not(:has(.o_agora_quick_results.show)) .o_agora_quick_code:value(AGP-GLU-05)",
        },
        {
            trigger: ".o_agora_quick_qty",
            run: "edit 4",
        },
        {
            content: "Enter adds the line",
            trigger: ".o_agora_quick_qty",
            run: "press Enter",
            expectUnloadPage: true,
        },
        {
            trigger: ".o_agora_cart_line:contains('AGP-GLU-05') input[value='4']",
        },
        {
            content: "Upload a file",
            trigger: "a.o_agora_import_link",
            run: "click",
            expectUnloadPage: true,
        },
        {
            trigger: "#agora_import_file",
            run() {
                const csv = "Артикул;Количество\nAGP-SAW-03;2\nNOPE-404;1\n";
                const file = new File([csv], "order.csv", { type: "text/csv" });
                const transfer = new DataTransfer();
                transfer.items.add(file);
                this.anchor.files = transfer.files;
                this.anchor.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            trigger: ".o_agora_import_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Each row's fate is shown before anything is added",
            trigger: ".o_agora_import_problems tr:contains('NOPE-404') [data-status='unknown']",
        },
        {
            trigger: ".o_agora_import_good tr:contains('AGP-SAW-03') [data-status='add']",
        },
        {
            trigger: ".o_agora_import_confirm",
            run: "click",
            expectUnloadPage: true,
        },
        {
            trigger: ".o_agora_cart_line:contains('AGP-SAW-03')",
        },
        {
            trigger: "input[name=client_order_ref]",
            run: "edit PO-TOUR-1",
        },
        {
            content: "Submit the order",
            trigger: ".o_agora_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The order is Processing",
            trigger: "#agora_status .o_agora_state[data-state='processing']:contains('Processing')",
        },
        {
            content: "Keep the order as a requisition list, to order it again",
            trigger: ".o_agora_order_to_list",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The list holds the order's products",
            trigger: ".o_agora_list .o_agora_list_line:contains('AGP-SAW-03') input.o_agora_list_qty[value='2']",
        },
        {
            trigger: ".o_agora_list .o_agora_list_line:contains('AGP-HAM-01') input.o_agora_list_qty[value='3']",
        },
        {
            content: "Send the whole list to the cart",
            trigger: ".o_agora_list_to_cart_all",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The new cart holds the list's lines",
            trigger: ".o_agora_cart .o_agora_cart_line:contains('AGP-SAW-03') input[value='2']",
        },
        {
            trigger: ".o_agora_cart .o_agora_cart_line:contains('AGP-GLU-05') input[value='4']",
        },
    ],
});
