import os

os.symlink("other.png", "logo.png")
os.symlink("logo.png", "other.png")
