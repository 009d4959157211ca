"""Draws Opora's PNG icons (a portico: roof, three columns, a base) without any image library.

Run from this folder: python3 make_icons.py. The same shapes as ../favicon.svg, on a 64-unit grid.
"""
import struct
import zlib

BLUE = (0x1F, 0x5F, 0x8B)
WHITE = (0xFF, 0xFF, 0xFF)


def inside_logo(x, y):
    """Whether the point (in 64-unit coordinates) is white."""
    if 45 <= y <= 50 and 14 <= x <= 50:  # base
        return True
    if 22 <= y <= 42 and any(c <= x <= c + 6 for c in (19, 29, 39)):  # columns
        return True
    # roof: triangle (12,19) (32,10) (52,19)
    if 10 <= y <= 19:
        half = (y - 10) / 9 * 20
        return 32 - half <= x <= 32 + half
    return False


def draw(size, maskable):
    rows = []
    radius = 0 if maskable else 12
    # Maskable icons must keep their content in the central 80 % safe zone.
    scale = 64 / (size * (0.7 if maskable else 1.0))
    offset = size * 0.15 if maskable else 0
    for py in range(size):
        row = bytearray([0])
        for px in range(size):
            u, v = px * 64 / size, py * 64 / size
            corner_x = min(u, 64 - u)
            corner_y = min(v, 64 - v)
            outside = corner_x < radius and corner_y < radius and (
                (radius - corner_x) ** 2 + (radius - corner_y) ** 2 > radius ** 2)
            x, y = (px - offset) * scale, (py - offset) * scale
            if outside:
                row += bytes((0, 0, 0, 0))
            elif inside_logo(x, y):
                row += bytes(WHITE + (255,))
            else:
                row += bytes(BLUE + (255,))
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


for name, size, maskable in [("icon-192.png", 192, False), ("icon-512.png", 512, False), ("maskable-512.png", 512, True)]:
    with open(name, "wb") as f:
        f.write(draw(size, maskable))
