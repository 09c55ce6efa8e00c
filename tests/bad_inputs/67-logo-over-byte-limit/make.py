with open("logo.png", "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n")
    f.truncate(12_000_000)
