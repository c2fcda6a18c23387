import { registry } from "@web/core/registry";

/**
 * A client company's approval, as its people live it. Each tour is one
 * person's part; tests/test_company_tour.py runs them in turn, each logged in
 * as that person.
 */
const tours = registry.category("web_tour.tours");

const openOrderToDecide = [
    {
        content: "The approver's list of orders to decide",
        trigger: ".o_agora_approval_row:contains('Dina Buyer') a.btn",
        run: "click",
        expectUnloadPage: true,
    },
    {
        content: "Awaiting approval, submitted by the buyer",
        trigger: "#agora_approval .o_agora_submitted_by:contains('Dina Buyer')",
    },
];

tours.add("agora_company_invite_tour", {
    url: "/my/company",
    steps: () => [
        {
            content: "The administrator invites a buyer with a limit",
            trigger: ".o_agora_company_invite #agora_invite_name",
            run: "edit Dina Buyer",
        },
        {
            trigger: ".o_agora_company_invite #agora_invite_email",
            run: "edit dina@alfa.example.com",
        },
        {
            trigger: ".o_agora_company_invite #agora_invite_role",
            run: "select buyer",
        },
        {
            trigger: ".o_agora_company_invite #agora_invite_limit",
            run: "edit 1000",
        },
        {
            trigger: ".o_agora_company_invite button[type=submit]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The new colleague is listed, with access, and in the history",
            trigger: ".o_agora_colleagues .o_agora_colleague:contains('Dina Buyer') .o_agora_access[data-access='1']",
        },
        {
            trigger: ".o_agora_company_history .o_agora_company_event[data-event-type='invited']:contains('Dina Buyer')",
        },
    ],
});

tours.add("agora_company_buyer_submit_tour", {
    url: "/my/catalog",
    steps: () => [
        {
            content: "Twenty hammers: above the buyer's limit",
            trigger: ".o_agora_product_row:contains('Hammer Steel') .o_agora_qty",
            run: "edit 20",
        },
        {
            trigger: ".o_agora_product_row:contains('Hammer Steel') .o_agora_js_ready .o_agora_add_btn",
            run: "click",
        },
        {
            trigger: ".o_agora_product_row:contains('Hammer Steel') .o_agora_added:contains('20')",
        },
        {
            trigger: ".o_agora_nav a[href='/my/cart']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            trigger: ".o_agora_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The order waits for the company's approval",
            trigger: "#agora_status .o_agora_state[data-state='approval']",
        },
    ],
});

tours.add("agora_company_reject_tour", {
    url: "/my/approvals",
    steps: () => [
        ...openOrderToDecide,
        {
            content: "Too many: returned to the buyer with a comment",
            trigger: "#agora_approval_comment",
            run: "edit At most 15 hammers, please.",
        },
        {
            trigger: ".o_agora_reject",
            run: "click",
            expectUnloadPage: true,
        },
        {
            trigger: "#agora_approval.o_agora_rejected:contains('At most 15 hammers')",
        },
    ],
});

tours.add("agora_company_buyer_resubmit_tour", {
    url: "/my/cart",
    steps: () => [
        {
            content: "The returned order is the cart, with the approver's comment",
            trigger: ".o_agora_returned:contains('At most 15 hammers')",
        },
        {
            trigger: ".o_agora_cart_line:contains('Hammer Steel') input[name^='qty_']",
            run: "edit 15",
        },
        {
            trigger: ".o_agora_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Still above the limit: awaiting approval again",
            trigger: "#agora_status .o_agora_state[data-state='approval']",
        },
    ],
});

tours.add("agora_company_approve_tour", {
    url: "/my/approvals",
    steps: () => [
        ...openOrderToDecide,
        {
            trigger: ".o_agora_approval_lines input.o_agora_approval_qty:value(15)",
        },
        {
            trigger: ".o_agora_approve",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Approved: the order went on to the supplier",
            trigger: "#agora_approval.o_agora_approved",
        },
        {
            trigger: "#agora_status .o_agora_state[data-state='processing']",
        },
    ],
});

tours.add("agora_company_staff_tour", {
    steps: () => [
        {
            content: "Staff see the order in Processing, with who submitted and who approved it",
            trigger: ".o_form_view .o_field_widget[name='agora_state']:contains('Processing')",
        },
        {
            content: "The order's Agora tab",
            trigger: ".o_notebook_headers a[name='agora']",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='agora_submitted_by_id']:contains('Dina Buyer')",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='agora_approved_by_id']:contains('Polina Approver')",
        },
    ],
});
