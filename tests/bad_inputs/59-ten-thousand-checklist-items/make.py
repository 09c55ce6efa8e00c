from pathlib import Path

guide = Path("seed.yaml").read_text()
items = "".join(f"        - Item number {i}\n" for i in range(1_000))
Path("guide.yaml").write_text(guide.replace("        - Earn a pilot licence\n", items))
