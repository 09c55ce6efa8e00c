from pathlib import Path

guide = Path("seed.yaml").read_text()
Path("guide.yaml").write_text(guide + "# " + "x" * 2_100_000 + "\n")
