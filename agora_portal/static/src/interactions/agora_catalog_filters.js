import { Interaction } from "@web/public/interaction";
import { registry } from "@web/core/registry";

/**
 * The catalog's "In stock" and "Ordered before" checkboxes apply at once
 * (without JavaScript they apply with the search button).
 */
export class AgoraCatalogFilters extends Interaction {
    static selector = ".o_agora_catalog_search";
    dynamicContent = {
        "input[type=checkbox]": { "t-on-change": () => this.el.requestSubmit() },
    };
}

registry.category("public.interactions").add("agora_portal.catalog_filters", AgoraCatalogFilters);
