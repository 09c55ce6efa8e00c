from pathlib import Path

# 25 001 keys in one mapping: 50 002 keys and values, none of them a list.
keys = "".join(f"  key{i}: {i}\n" for i in range(25_001))
Path("school.yaml").write_text(f"name: Test College\ncolors:\n  primary: '#0B4F6C'\nextra:\n{keys}")
