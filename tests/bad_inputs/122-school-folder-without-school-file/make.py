import os

os.makedirs("content/schools/good", exist_ok=True)
open("content/schools/good/school.yaml", "w").write('name: Good Harbor College\ncolors:\n  primary: "#0B4F6C"\n')
os.makedirs("content/schools/empty")
open("content/schools/empty/logo.svg", "w").write("<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n")
