import shutil

shutil.copy("../../../content/schools/summit-ridge/fonts/Lato-Regular.ttf", "Brand-Bold.ttf")
