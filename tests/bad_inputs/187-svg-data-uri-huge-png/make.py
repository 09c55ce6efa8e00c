import base64
import io

from PIL import Image

buffer = io.BytesIO()
Image.new("1", (13000, 13000)).save(buffer, "PNG", optimize=True)
data = base64.b64encode(buffer.getvalue()).decode("ascii")
with open("logo.svg", "w") as svg:
    svg.write('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="50">'
              f'<image href="data:image/png;base64,{data}" width="200" height="50"/></svg>')
