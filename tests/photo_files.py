"""Real image files made in the test with Pillow (and a few that only look like one)."""

import io
import struct

from PIL import Image


def jpeg(width=800, height=600, *, color=(200, 60, 30), exif=None, quality=90) -> bytes:
    image = Image.new("RGB", (width, height), color)
    # A mark in the top-left corner, to tell which way up the stored picture is.
    image.paste((0, 0, 255), (0, 0, width // 4, height // 4))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def camera_jpeg(width=1600, height=1200, *, exif=None, quality=90) -> bytes:
    """A JPEG with a camera's noise (a flat colour compresses to nothing): about the size a
    phone's scaled 1600 px picture really is (a few hundred kB)."""
    shade = Image.linear_gradient("L").resize((width, height))
    image = Image.merge("RGB", [Image.blend(Image.effect_noise((width, height), 14), shade, 0.5) for _ in range(3)])
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def gps_exif(orientation: int | None = None):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    if orientation:
        exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (31.0, 13.0, 25.0)
    gps[3] = "E"
    gps[4] = (121.0, 28.0, 12.0)
    return exif


def png(width=300, height=200) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (10, 200, 10, 128)).save(out, format="PNG")
    return out.getvalue()


def bomb_png(width=20_000, height=20_000) -> bytes:
    """A PNG header claiming width × height pixels (no pixel data is needed to claim it)."""
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
