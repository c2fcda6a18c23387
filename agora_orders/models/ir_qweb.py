import contextvars
from contextlib import contextmanager

from lxml import etree

from odoo import api, models

# Set by ``_agora_reuse_inline_compilations``: the inline templates compiled
# in that block, by source and compiling context.
_COMPILED = contextvars.ContextVar("agora_compiled_inline_templates", default=None)


class IrQweb(models.AbstractModel):
    _inherit = "ir.qweb"

    @api.model
    @contextmanager
    def _agora_reuse_inline_compilations(self):
        """Compile each inline template once in this block, however many
        records it is rendered for.

        Odoo caches the compiled code of QWeb views, but not of inline
        templates, such as an email template's body: ``mail.render.mixin``
        parses and compiles the body again for each record it renders
        (``_render_template_qweb``). Emailing a batch of orders their status
        spent a fifth of its time compiling the same body. In this block the
        code compiled for a body is reused for the next record, when both the
        body and the context that compilation reads (language, restricted
        rendering...) are the same.
        """
        token = _COMPILED.set({})
        try:
            yield
        finally:
            _COMPILED.reset(token)

    def _compile(self, template):
        compiled = _COMPILED.get()
        if compiled is None or not isinstance(template, etree._Element):
            return super()._compile(template)
        # Compilation reads the context (``_generate_code`` and the overrides
        # of mail and html_editor), never the values rendered: every context
        # key is part of the key, but those starting with "_", which in Odoo 19
        # are the rendering's own state (``__qweb_loaded_functions``...).
        context_key = tuple(
            (key, repr(value))
            for key, value in sorted(self.env.context.items())
            if not key.startswith("_")
        )
        key = (etree.tostring(template), context_key, self.env.uid, self.env.su)
        if key not in compiled:
            compiled[key] = super()._compile(template)
        return compiled[key]
