from pathlib import Path

guide = Path("seed.yaml").read_text()
long = " ".join(["word"] * 50_000)
Path("guide.yaml").write_text(guide.replace("Test pilots fly new aircraft and report how they behave.", long))
