import os

os.makedirs("content/schools/good", exist_ok=True)
open("content/schools/good/school.yaml", "w").write('name: Good Harbor College\ncolors:\n  primary: "#0B4F6C"\n')
from guidebuilder.load.locations import builtin_content
s = (builtin_content() / "medical-coder.yaml").read_text(encoding="utf-8").replace("id: medical-coder", "id: long", 1)
s = s.replace("      - >-\n        When you see a doctor", "      - " + "x" * 19990 + "\n      - >-\n        When you see a doctor", 1)
open("content/long.yaml", "w", encoding="utf-8").write(s)
