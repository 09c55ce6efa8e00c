"""Layout components: one small class per markup element (see docs/layouts.md)."""

from guidebuilder.render.components.base import REGISTRY, Attr, Component, MarkupError, register
from guidebuilder.render.components import text, blocks, brand, guide, fold  # noqa: F401  (registers the tags)

__all__ = ["REGISTRY", "Attr", "Component", "MarkupError", "register"]
