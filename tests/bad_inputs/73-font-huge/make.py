from pathlib import Path

# a real font followed by 120 MB of padding (a sparse file)
with open("Brand-Regular.ttf", "wb") as f:
    f.write(Path("../../../content/schools/summit-ridge/fonts/Lato-Regular.ttf").read_bytes())
    f.truncate(120_000_000)
