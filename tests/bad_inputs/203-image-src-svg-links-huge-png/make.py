from PIL import Image

# 13000 x 13000 pixels (169 megapixels), a few kB on disk
Image.new("1", (13000, 13000)).save('picture.png', optimize=True)
