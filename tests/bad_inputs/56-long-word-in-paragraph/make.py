from pathlib import Path

guide = Path("seed.yaml").read_text()
word = "".join("abcdefghij"[i % 10] for i in range(1000))
Path("guide.yaml").write_text(guide.replace("report how", "report " + word + " how"))
