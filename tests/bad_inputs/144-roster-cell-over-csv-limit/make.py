from pathlib import Path

Path("roster.csv").write_text("name,colors.primary,tagline\nA College,#123456,short\nB College,#123456,"
                              + "x" * 200_000 + "\n", encoding="utf-8")
