import os

os.symlink("Brand.ttf", "Brand.ttf")
