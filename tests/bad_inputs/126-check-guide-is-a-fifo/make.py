import os

os.makedirs("content/schools/good", exist_ok=True)
open("content/schools/good/school.yaml", "w").write('name: Good Harbor College\ncolors:\n  primary: "#0B4F6C"\n')
os.mkfifo("content/g.yaml")
