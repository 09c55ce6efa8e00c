from PIL import Image

# 10000 x 5000 pixels (50 megapixels), a few kB on disk
Image.new("1", (10000, 5000)).save("logo.png", optimize=True)
