"""Stage 4, write: page templates, tagging and the PDF file (written atomically)."""
