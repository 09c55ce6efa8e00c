import shutil
from guidebuilder.render.fonts import default_font_dir

FONT = default_font_dir() / "SourceSansPro-Regular.ttf"  # a real TrueType font
shutil.copy(FONT, "Brand-Regular.ttf")
