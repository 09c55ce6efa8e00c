from pathlib import Path

guide = Path("seed.yaml").read_text()
para = " ".join(["word"] * 3_800)
body = "".join(f"      - {para}\n" for _ in range(12))
Path("guide.yaml").write_text(guide.replace("      - Test pilots fly new aircraft and report how they behave.\n", body))
