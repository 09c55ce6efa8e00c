"""guidebuilder: structured YAML career guides to branded, printable PDFs."""

__version__ = "0.1.0"
