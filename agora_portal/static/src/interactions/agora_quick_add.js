import { Interaction } from "@web/public/interaction";
import { registry } from "@web/core/registry";
import { rpc } from "@web/core/network/rpc";

/**
 * "Add a line" of the cart, for the keyboard: type a SKU or a name, pick a
 * product with the arrows (or the mouse), Enter moves to the quantity, Enter
 * again adds the line (the form is posted: the cart page is reloaded with its
 * totals). The products come from the user's assortment only (server side).
 */
export class AgoraQuickAdd extends Interaction {
    static selector = ".o_agora_quick_add";
    dynamicContent = {
        ".o_agora_quick_code": {
            "t-on-input": this.debounced(this.onInput, 200),
            "t-on-keydown": this.onCodeKeydown,
            "t-on-blur": this.onBlur,
        },
        ".o_agora_quick_qty": {
            "t-on-keydown": this.onQtyKeydown,
        },
        ".o_agora_quick_results": {
            "t-on-mousedown.prevent": this.onResultMousedown,
        },
    };

    setup() {
        this.codeEl = this.el.querySelector(".o_agora_quick_code");
        this.qtyEl = this.el.querySelector(".o_agora_quick_qty");
        this.productIdEl = this.el.querySelector(".o_agora_quick_product_id");
        this.resultsEl = this.el.querySelector(".o_agora_quick_results");
        this.ruleEl = this.el.querySelector(".o_agora_quick_qty_rule");
        this.results = [];
        this.active = -1;
        this.requestId = 0;
    }

    start() {
        this.el.classList.add("o_agora_js_ready");
    }

    async onInput() {
        this.productIdEl.value = "";
        this.ruleEl.textContent = "";
        const term = this.codeEl.value.trim();
        const requestId = ++this.requestId;
        if (term.length < 2) {
            this.render([]);
            return;
        }
        const results = await this.waitFor(rpc("/my/cart/search_products", { term, limit: 10 }));
        if (requestId === this.requestId) {
            this.protectSyncAfterAsync(() => this.render(results))();
        }
    }

    render(results) {
        this.results = results;
        this.active = results.length ? 0 : -1;
        this.resultsEl.replaceChildren();
        for (const [index, product] of results.entries()) {
            const item = document.createElement("button");
            item.type = "button";
            item.className = "dropdown-item d-flex justify-content-between gap-3 o_agora_quick_result";
            item.setAttribute("role", "option");
            item.dataset.index = index;
            const label = document.createElement("span");
            const code = document.createElement("strong");
            code.textContent = product.code;
            label.append(code, " ", product.name);
            if (product.qty_rule) {
                const rule = document.createElement("small");
                rule.className = "text-muted ms-2";
                rule.textContent = product.qty_rule;
                label.append(rule);
            }
            const price = document.createElement("span");
            price.className = "text-muted";
            price.textContent = `${product.price_display} / ${product.uom}`;
            item.append(label, price);
            this.resultsEl.appendChild(item);
        }
        this.resultsEl.classList.toggle("show", results.length > 0);
        this.codeEl.setAttribute("aria-expanded", results.length > 0 ? "true" : "false");
        this.highlight();
    }

    highlight() {
        for (const [index, item] of [...this.resultsEl.children].entries()) {
            item.classList.toggle("active", index === this.active);
            item.setAttribute("aria-selected", index === this.active ? "true" : "false");
        }
    }

    pick(index) {
        const product = this.results[index];
        if (!product) {
            return;
        }
        this.productIdEl.value = product.id;
        this.codeEl.value = product.code || product.name;
        // The least quantity that fits the product's order rule, and the rule itself.
        this.qtyEl.value = product.qty;
        this.ruleEl.textContent = product.qty_rule || "";
        this.render([]);
        this.qtyEl.focus();
        this.qtyEl.select();
    }

    onCodeKeydown(ev) {
        const open = this.results.length > 0;
        if (ev.key === "ArrowDown" && open) {
            ev.preventDefault();
            this.active = (this.active + 1) % this.results.length;
            this.highlight();
        } else if (ev.key === "ArrowUp" && open) {
            ev.preventDefault();
            this.active = (this.active - 1 + this.results.length) % this.results.length;
            this.highlight();
        } else if (ev.key === "Enter" && open && this.active >= 0) {
            ev.preventDefault();
            this.pick(this.active);
        } else if (ev.key === "Enter" && !open) {
            // The code typed as is: move to the quantity (the server resolves the code).
            ev.preventDefault();
            this.qtyEl.focus();
            this.qtyEl.select();
        } else if (ev.key === "Escape") {
            this.render([]);
        }
    }

    onQtyKeydown(ev) {
        if (ev.key === "Enter") {
            // Enter in the quantity adds the line (with the form's own validation).
            ev.preventDefault();
            this.el.requestSubmit();
        }
    }

    onResultMousedown(ev) {
        const item = ev.target.closest(".o_agora_quick_result");
        if (item) {
            this.pick(parseInt(item.dataset.index));
        }
    }

    onBlur() {
        this.waitForTimeout(() => this.render([]), 150);
    }
}

registry.category("public.interactions").add("agora_portal.quick_add", AgoraQuickAdd);
