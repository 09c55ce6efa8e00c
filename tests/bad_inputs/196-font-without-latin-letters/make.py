import importlib.util
import os

from fontTools import subset
from fontTools.ttLib import TTFont

spec = importlib.util.find_spec("font_source_sans_pro")
source = os.path.join(next(iter(spec.submodule_search_locations)), "files", "SourceSansPro-Regular.ttf")
font = TTFont(source)
subsetter = subset.Subsetter(subset.Options(name_IDs=["*"], notdef_outline=True))
subsetter.populate(unicodes=[0x20, *range(0x30, 0x3A)])  # a space and the digits
subsetter.subset(font)
font.save("Digits.ttf")
