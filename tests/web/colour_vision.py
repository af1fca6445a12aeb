"""How far apart two colours look to someone with deuteranopia or protanopia: each sRGB colour is
simulated with Machado, Oliveira and Fernandes' (2009) matrices for a severity of 1.0 (applied in
linear RGB, as they specify), then compared by the CIE76 colour difference in CIELAB (D65). A
difference of about 2 is just noticeable; the palette tests ask for far more, since a grid square
is small and read at a glance."""

from __future__ import annotations

import re

Vector = tuple[float, float, float]

# Machado et al. 2009, severity 1.0 (the published table's last rows).
MACHADO_2009 = {
    "typical": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
}
_D65 = (0.95047, 1.0, 1.08883)


def parse_rgb(css: str) -> Vector:
    """'rgb(1, 2, 3)', 'rgba(…)' or '#010203' → (1, 2, 3)."""
    css = css.strip()
    if css.startswith("#"):
        return (int(css[1:3], 16), int(css[3:5], 16), int(css[5:7], 16))
    r, g, b = (float(x) for x in re.findall(r"[\d.]+", css)[:3])
    return (r, g, b)


def _linear(channel: float) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _simulate(css: str, vision: str) -> Vector:
    rgb = tuple(_linear(c) for c in parse_rgb(css))
    m = MACHADO_2009[vision]
    r, g, b = (min(1.0, max(0.0, sum(m[i][j] * rgb[j] for j in range(3)))) for i in range(3))
    return (r, g, b)


def _lab(linear_rgb: Vector) -> Vector:
    r, g, b = linear_rgb
    xyz = (0.4124 * r + 0.3576 * g + 0.1805 * b, 0.2126 * r + 0.7152 * g + 0.0722 * b,
           0.0193 * r + 0.1192 * g + 0.9505 * b)

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    fx, fy, fz = (f(v / w) for v, w in zip(xyz, _D65, strict=True))
    return (116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz))


def difference(a: str, b: str, vision: str) -> float:
    """CIE76 ΔE between two CSS colours as seen with `vision` (a key of MACHADO_2009)."""
    la, lb = _lab(_simulate(a, vision)), _lab(_simulate(b, vision))
    return sum((x - y) ** 2 for x, y in zip(la, lb, strict=True)) ** 0.5


def closest_pair(colours: dict[str, str], vision: str) -> tuple[float, str, str]:
    """The two named colours that look most alike with `vision`, and how far apart they are."""
    names = list(colours)
    return min((difference(colours[x], colours[y], vision), x, y)
               for i, x in enumerate(names) for y in names[i + 1:])
