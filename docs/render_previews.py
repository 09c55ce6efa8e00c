"""Render page 1 of the sample handout and checklist to PNG for the README.

    python docs/render_previews.py            (needs the test extra: pypdfium2)
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pypdfium2

from guidebuilder.pipeline import build, load_inputs

DOCS = Path(__file__).resolve().parent


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for school in ("lakeside", "riverbend", "default", "summit-ridge"):
            for path in build(load_inputs(None, school), ("handout", "checklist", "brochure"), Path(tmp)):
                layout = path.stem.rsplit("-", 1)[1]
                page = pypdfium2.PdfDocument(path)[0]
                out = DOCS / f"preview-{school}-{layout}.png"
                page.render(scale=100 / 72).to_pil().save(out, optimize=True)
                print(f"wrote {out.relative_to(DOCS.parent)}")


if __name__ == "__main__":
    main()
