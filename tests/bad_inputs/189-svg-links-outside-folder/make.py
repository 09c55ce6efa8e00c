from PIL import Image

Image.new("RGB", (20, 10), "red").save("picture.png")
