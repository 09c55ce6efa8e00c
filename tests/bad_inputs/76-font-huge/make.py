from guidebuilder.render.fonts import default_font_dir

FONT = default_font_dir() / "SourceSansPro-Regular.ttf"  # a real TrueType font

# a real font followed by padding up to 120 MB (a sparse file)
with open("Brand-Regular.ttf", "wb") as f:
    f.write(FONT.read_bytes())
    f.truncate(120_000_000)
