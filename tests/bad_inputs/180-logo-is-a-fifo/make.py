import os

os.mkfifo("logo.png")
