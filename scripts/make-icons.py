#!/usr/bin/env python3
"""Generate the 家访通 PWA icons (white house with a heart on calm green).

Usage:  pip install pillow && python3 scripts/make-icons.py
Writes public/icons/icon-192.png, icon-512.png, icon-maskable-512.png and
public/favicon.ico. The PNGs are committed; rerun only to change the design.
"""
import math
from pathlib import Path

from PIL import Image, ImageDraw

GREEN = (0x1F, 0x6F, 0x5C, 255)
WHITE = (255, 255, 255, 255)
SS = 4  # supersampling factor for smooth edges

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ROOT / "public"


def draw_house(d: ImageDraw.ImageDraw, cx: float, cy: float, w: float) -> None:
    """House of width w centred on (cx, cy); heart cut out of the wall."""
    h = w * 0.92
    top = cy - h / 2
    roof_h = h * 0.42
    eave = w * 0.08
    wall_l, wall_r = cx - w / 2 + eave, cx + w / 2 - eave
    wall_top, wall_bot = top + roof_h - w * 0.02, top + h
    # roof
    d.polygon([(cx, top), (cx + w / 2, top + roof_h), (cx - w / 2, top + roof_h)], fill=WHITE)
    # chimney
    d.rectangle([cx + w * 0.2, top + h * 0.08, cx + w * 0.3, top + roof_h * 0.7], fill=WHITE)
    # walls with slightly rounded bottom corners
    d.rounded_rectangle([wall_l, wall_top, wall_r, wall_bot], radius=w * 0.05, fill=WHITE)
    # heart in the wall (classic parametric heart curve), in background green
    hx, hy = cx, wall_top + (wall_bot - wall_top) * 0.5
    scale = w * 0.34 / 32  # the curve is 32 units wide
    pts = []
    for i in range(360):
        t = 2 * math.pi * i / 360
        x = 16 * math.sin(t) ** 3
        y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        pts.append((hx + x * scale, hy - y * scale))
    d.polygon(pts, fill=GREEN)


def make(size: int, maskable: bool) -> Image.Image:
    big = size * SS
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if maskable:
        # Full bleed; keep the drawing inside the 80% safe-zone circle.
        d.rectangle([0, 0, big, big], fill=GREEN)
        house_w = big * 0.46
    else:
        d.rounded_rectangle([0, 0, big - 1, big - 1], radius=big * 0.2, fill=GREEN)
        house_w = big * 0.62
    draw_house(d, big / 2, big / 2 + big * 0.01, house_w)
    return img.resize((size, size), Image.LANCZOS)


def main() -> None:
    (PUBLIC / "icons").mkdir(parents=True, exist_ok=True)
    make(192, False).save(PUBLIC / "icons" / "icon-192.png", optimize=True)
    make(512, False).save(PUBLIC / "icons" / "icon-512.png", optimize=True)
    make(512, True).save(PUBLIC / "icons" / "icon-maskable-512.png", optimize=True)
    make(256, False).save(PUBLIC / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
    print("icons written to", PUBLIC)


if __name__ == "__main__":
    main()
