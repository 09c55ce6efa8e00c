import os
import shutil
from guidebuilder.render.fonts import default_font_dir

FONT = default_font_dir() / "SourceSansPro-Regular.ttf"  # a real TrueType font
shutil.copy(FONT, "Brand-Regular.ttf")
os.makedirs(os.path.join("school", "fonts"))
os.symlink(os.path.join("..", "..", "Brand-Regular.ttf"), os.path.join("school", "fonts", "Brand-Regular.ttf"))
