import os

os.mkfifo("picture.png")
