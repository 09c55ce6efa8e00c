from pathlib import Path

guide = Path("seed.yaml").read_text()
Path("guide.yaml").write_text(guide.replace("title: How to Become a Test Pilot", "title: " + "W" * 1000))
