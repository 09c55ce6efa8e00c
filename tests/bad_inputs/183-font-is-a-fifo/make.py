import os

os.mkfifo("Brand.ttf")
