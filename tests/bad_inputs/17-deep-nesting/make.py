from pathlib import Path

Path("school.yaml").write_text(
    "name: " + "[" * 20000 + "]" * 20000 + "\ncolors:\n  primary: red\n")
