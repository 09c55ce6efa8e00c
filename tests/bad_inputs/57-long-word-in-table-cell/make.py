from pathlib import Path

guide = Path("seed.yaml").read_text()
word = "x" * 1000
table = "      - table:\n          columns: [Licence, Notes]\n"
table += "          rows:\n            - [PPL, " + word + "]\n"
Path("guide.yaml").write_text(guide.replace("    body:\n", "    body:\n" + table))
