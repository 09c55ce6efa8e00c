"""The tests' own cache folder (conftest.isolated_cache): the suite never reads or writes the
user's ~/.cache/guidebuilder, in its own process or in the commands it starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROBE = "from guidebuilder.diskcache import folder; print(folder('isolation-probe'))"


def test_the_cache_folder_is_the_sessions_own(isolated_cache):
    assert os.environ["XDG_CACHE_HOME"] == str(isolated_cache)
    assert not isolated_cache.resolve().is_relative_to((Path.home() / ".cache").resolve())
    child = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60)
    where = child.stdout.strip()
    if os.environ.get("GUIDEBUILDER_NO_CACHE"):
        assert where == "None"
    else:
        assert Path(where).is_relative_to(isolated_cache / "guidebuilder"), where
