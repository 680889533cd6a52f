"""Deterministic camera-like photos, for the image benchmark and the phone-budget test."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter


def camera_photo(seed: int, *, orientation: int = 1, gps: bool = False) -> bytes:
    """A 4000×3000 JPEG with a phone's detail and grain (~2 MB) and an EXIF orientation;
    with `gps`, a GPS position too (what the pipeline must strip)."""
    rnd = random.Random(seed)
    small = (1000, 750)
    image = Image.merge(
        "RGB",
        [Image.linear_gradient("L").resize(small).rotate(rnd.randrange(360)) for _ in range(3)],
    )
    draw = ImageDraw.Draw(image)
    for _ in range(400):
        x, y, size = rnd.randrange(1000), rnd.randrange(750), rnd.randrange(3, 160)
        fill = tuple(rnd.randrange(256) for _ in range(3))
        draw.ellipse((x, y, x + size, y + size * rnd.uniform(0.3, 2)), fill=fill)
    image = image.filter(ImageFilter.GaussianBlur(0.8)).resize((4000, 3000), Image.BICUBIC)
    grain = Image.frombytes("L", (2000, 1500), rnd.randbytes(2000 * 1500))
    image = Image.blend(image, grain.resize((4000, 3000)).convert("RGB"), 0.10)
    exif = Image.Exif()
    exif[0x0112] = orientation
    if gps:
        place = exif.get_ifd(0x8825)
        place.update({1: "N", 2: (10.0, 22.0, float(seed % 60)), 3: "E", 4: (105.0, 25.0, 1.0)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()
