"""Stage 2, template: a layout (Jinja2, sandboxed) + guide + school -> layout markup."""

from guidebuilder.template.jinja import inline_markdown, markup_line_origin, render_markup

__all__ = ["inline_markdown", "markup_line_origin", "render_markup"]
