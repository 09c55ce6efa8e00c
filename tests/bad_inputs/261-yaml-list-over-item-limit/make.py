from pathlib import Path

# 1 001 checklist items, written out: one over the most one list may hold.
items = "".join(f"        - Item number {i}\n" for i in range(1_001))
Path("guide.yaml").write_text(f"""title: How to Become a Test Pilot
summary: A short guide used by the bad-input corpus.
sections:
  - heading: What a test pilot does
    body:
      - Test pilots fly new aircraft and report how they behave.
checklist:
  title: Your test pilot checklist
  groups:
    - heading: Get ready
      items:
{items}""")
