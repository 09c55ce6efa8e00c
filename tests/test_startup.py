"""Start-up speed: every command imports guidebuilder.cli first, so it must not load the heavy
libraries (ReportLab, Jinja2, pydantic, lxml, Pillow, PyYAML); each command imports what it uses
when it runs (see the working rule "keep CLI imports lazy")."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("reportlab", "jinja2", "pydantic", "lxml", "PIL", "yaml")

PROBE = f"""
import json, sys
import guidebuilder.cli
heavy = {HEAVY!r}
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in heavy)))
"""


def test_importing_the_cli_loads_no_heavy_library():
    # A fresh interpreter: the test process has imported all of them long ago.
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60)
    loaded = json.loads(result.stdout)
    assert loaded == [], f"import guidebuilder.cli loads {loaded}"
