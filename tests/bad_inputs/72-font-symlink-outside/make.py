import os
import shutil

shutil.copy("../../../content/schools/summit-ridge/fonts/Lato-Regular.ttf", "Lato-Regular.ttf")
os.makedirs(os.path.join("school", "fonts"))
os.symlink(os.path.join("..", "..", "Lato-Regular.ttf"), os.path.join("school", "fonts", "Lato-Regular.ttf"))
