import os

os.mkdir("pictures")
