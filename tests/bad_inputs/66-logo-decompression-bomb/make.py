from PIL import Image

# 20000 x 20000 pixels (400 megapixels), a few kB on disk
Image.new("1", (20000, 20000)).save("logo.png", optimize=True)
