import { Interaction } from "@web/public/interaction";
import { registry } from "@web/core/registry";
import { rpc } from "@web/core/network/rpc";
import { _t } from "@web/core/l10n/translation";

/**
 * "Add to cart" of the catalog and of the product card, without leaving the
 * page: the form is sent to the JSON route and the cart counter is updated.
 * Without JavaScript the same form is posted and the server redirects back to
 * the same place (see agora_portal.portal_agora_add_form).
 */
export class AgoraAddToCart extends Interaction {
    static selector = ".o_agora_add_form";
    dynamicContent = {
        _root: { "t-on-submit.prevent": this.locked(this.onSubmit, true) },
    };

    setup() {
        this.feedbackEl = this.el.parentElement.querySelector(".o_agora_add_feedback");
    }

    start() {
        // Marks the form as handled here (the page no longer reloads on "add").
        this.el.classList.add("o_agora_js_ready");
    }

    async onSubmit() {
        const data = new FormData(this.el);
        let result;
        try {
            result = await this.waitFor(
                rpc("/my/cart/add_json", {
                    product_id: parseInt(data.get("product_id")),
                    quantity: data.get("quantity"),
                })
            );
        } catch {
            result = { success: false, message: _t("The cart could not be updated. Please try again.") };
        }
        this.protectSyncAfterAsync(() => this.showResult(result))();
    }

    showResult(result) {
        if (this.feedbackEl) {
            this.feedbackEl.replaceChildren();
            const span = document.createElement("span");
            span.className = result.success ? "text-success o_agora_added" : "text-danger o_agora_add_error";
            span.textContent = result.success
                ? _t("In cart: %s", result.in_cart)
                : result.message;
            this.feedbackEl.appendChild(span);
        }
        if (result.cart_count !== undefined) {
            for (const counterEl of document.querySelectorAll(".o_agora_cart_count")) {
                counterEl.textContent = result.cart_count;
                counterEl.classList.toggle("d-none", !result.cart_count);
            }
        }
    }
}

registry.category("public.interactions").add("agora_portal.add_to_cart", AgoraAddToCart);
