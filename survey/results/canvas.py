"""A drawing as a list of shapes, written as SVG text for pages or rasterised to PNG for emails.

Charts (survey.results.charts) lay themselves out on a `Canvas` in points, from the top-left corner, and measure
their labels with `text_width`, so neither drawing nor layout needs a plotting library or a font file:
writing a chart's SVG is string formatting (about a millisecond, where matplotlib took 30–130 ms), and
the same data always gives the same bytes. Emails cannot show SVG, so `png` draws the same shapes with
Pillow, three times over-sized and then reduced, which smooths the edges as antialiasing would.

Text is untrusted (segment values, option labels, titles): `svg` escapes it as XML character data and
attribute values are only numbers and colours chosen here, so nothing a customer writes becomes markup.
"""
from __future__ import annotations

import io
import math
import unicodedata
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import pairwise
from xml.sax.saxutils import escape, quoteattr

from survey.results.glyph_widths import RUNS

# The SVG's fonts, widest first: the layout measured DejaVu Sans (Verdana's metrics are nearly the same), so
# a narrower fallback only leaves more room.
FONT_FAMILY = "DejaVu Sans, Verdana, Geneva, sans-serif"
# Where a line of text sits around its baseline, in ems of DejaVu Sans: the middle of its capitals, and their
# top, so text can be centred on a row or hung from a line as a plotting library would place it.
MIDDLE, TOP = 0.36, 0.76
SUPERSAMPLE = 3


@cache
def _advances() -> dict[str, int]:
    widths: dict[str, int] = {}
    for first, run in RUNS.items():
        for offset, width in enumerate(run.split()):
            if width != "-":
                widths[chr(first + offset)] = int(width)
    return widths


def _advance(character: str) -> int:
    """Thousandths of an em: from the font's table, else an estimate that errs wide (whole-width for East
    Asian wide characters, none for combining marks, DejaVu's average otherwise)."""
    known = _advances().get(character)
    if known is not None:
        return known
    if unicodedata.combining(character):
        return 0
    return 1000 if unicodedata.east_asian_width(character) in ("W", "F") else 640


@lru_cache(maxsize=4096)
def text_width(text: str, size: float) -> float:
    """The drawn width of `text` in points at `size` points (kerning left out: a few points at most)."""
    return sum(_advance(character) for character in text) * size / 1000


def _number(value: float) -> str:
    """Two decimals at most and no trailing zeros: short, and the same bytes for the same drawing."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _points(points) -> str:
    return " ".join(f"{_number(x)},{_number(y)}" for x, y in points)


@dataclass
class Canvas:
    """Shapes in the order they are drawn (later ones on top); sizes and positions in points."""

    width: float
    height: float
    shapes: list[tuple] = field(default_factory=list)

    def rect(self, x: float, y: float, width: float, height: float, fill: str) -> None:
        self.shapes.append(("rect", x, y, width, height, fill))

    def polygon(self, points, fill: str, opacity: float = 1.0) -> None:
        self.shapes.append(("polygon", tuple(points), fill, opacity))

    def line(self, points, stroke: str, width: float, dash: tuple[float, ...] = ()) -> None:
        """A polyline; `dash` alternates drawn and skipped lengths, in points."""
        self.shapes.append(("line", tuple(points), stroke, width, tuple(dash)))

    def circle(self, x: float, y: float, radius: float, fill: str) -> None:
        self.shapes.append(("circle", x, y, radius, fill))

    def text(self, x: float, y: float, text: str, size: float, fill: str, *, anchor: str = "start",
             rotate: float = 0, italic: bool = False) -> None:
        """`y` is the baseline; `anchor` start | middle | end; `rotate` in degrees, anticlockwise, about
        (x, y)."""
        self.shapes.append(("text", x, y, text, size, fill, anchor, rotate, italic))

    # --- SVG -------------------------------------------------------------------------------------------------

    def svg(self, pixel_width: int = 640, *, label: str | None = None) -> bytes:
        """Scaled to `pixel_width` pixels wide (the results page shows charts 640 wide). With a `label` the
        drawing is an image named by it (`role="img"`), as an `<svg>` inside a page must be."""
        scale = pixel_width / self.width
        named = f' role="img" aria-label={quoteattr(label)}' if label is not None else ""
        parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{pixel_width}" '
                 f'height="{_number(self.height * scale)}" viewBox="0 0 {_number(self.width)} '
                 f'{_number(self.height)}" font-family="{FONT_FAMILY}"{named}>',
                 '<rect width="100%" height="100%" fill="#ffffff"/>']
        parts += [getattr(self, f"_svg_{shape[0]}")(*shape[1:]) for shape in self.shapes]
        parts.append("</svg>\n")
        return "\n".join(parts).encode("utf-8")

    @staticmethod
    def _svg_rect(x, y, width, height, fill) -> str:
        return (f'<rect x="{_number(x)}" y="{_number(y)}" width="{_number(width)}" height="{_number(height)}" '
                f'fill="{fill}"/>')

    @staticmethod
    def _svg_polygon(points, fill, opacity) -> str:
        alpha = f' fill-opacity="{_number(opacity)}"' if opacity != 1 else ""
        return f'<polygon points="{_points(points)}" fill="{fill}"{alpha}/>'

    @staticmethod
    def _svg_line(points, stroke, width, dash) -> str:
        pattern = f' stroke-dasharray="{" ".join(_number(d) for d in dash)}"' if dash else ""
        return (f'<polyline points="{_points(points)}" fill="none" stroke="{stroke}" stroke-width="{_number(width)}" '
                f'stroke-linejoin="round"{pattern}/>')

    @staticmethod
    def _svg_circle(x, y, radius, fill) -> str:
        return f'<circle cx="{_number(x)}" cy="{_number(y)}" r="{_number(radius)}" fill="{fill}"/>'

    @staticmethod
    def _svg_text(x, y, text, size, fill, anchor, rotate, italic) -> str:
        attributes = f'x="{_number(x)}" y="{_number(y)}" font-size="{_number(size)}" fill="{fill}"'
        if anchor != "start":
            attributes += f' text-anchor="{anchor}"'
        if italic:
            attributes += ' font-style="italic"'
        if rotate:
            attributes += f' transform="rotate({_number(-rotate)} {_number(x)} {_number(y)})"'
        return f"<text {attributes}>{escape(text)}</text>"

    # --- PNG -------------------------------------------------------------------------------------------------

    def png(self, dpi: int = 100) -> bytes:
        """Rasterised at `dpi` (a point is 1/72 inch), as emails show charts."""
        from PIL import Image, ImageDraw  # only the processes that email charts load Pillow

        scale = dpi / 72 * SUPERSAMPLE
        size = (round(self.width * dpi / 72) * SUPERSAMPLE, round(self.height * dpi / 72) * SUPERSAMPLE)
        image = Image.new("RGB", size, "#ffffff")
        draw = ImageDraw.Draw(image, "RGBA")  # an RGBA pen on an RGB picture: fills blend with what is below
        for shape in self.shapes:
            if shape[0] == "text":
                _png_text(image, scale, *shape[1:])
            else:
                getattr(_Raster, shape[0])(draw, scale, *shape[1:])
        buffer = io.BytesIO()
        image.reduce(SUPERSAMPLE).save(buffer, format="PNG", optimize=False)
        return buffer.getvalue()


def _rgba(colour: str, opacity: float = 1.0) -> tuple[int, int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16), round(opacity * 255))


class _Raster:
    """Each shape drawn with Pillow, its points multiplied by `scale` (pixels per point)."""

    @staticmethod
    def rect(draw, scale, x, y, width, height, fill) -> None:
        if width * scale < 1 or height * scale < 1:
            return  # a bar of nothing (a count of 0) has no pixel to fill
        draw.rectangle([x * scale, y * scale, (x + width) * scale - 1, (y + height) * scale - 1], fill=_rgba(fill))

    @staticmethod
    def polygon(draw, scale, points, fill, opacity) -> None:
        draw.polygon([(x * scale, y * scale) for x, y in points], fill=_rgba(fill, opacity))

    @staticmethod
    def circle(draw, scale, x, y, radius, fill) -> None:
        draw.ellipse([(x - radius) * scale, (y - radius) * scale, (x + radius) * scale, (y + radius) * scale],
                     fill=_rgba(fill))

    @staticmethod
    def line(draw, scale, points, stroke, width, dash) -> None:
        pixels = [(x * scale, y * scale) for x, y in points]
        thickness = max(1, round(width * scale))
        if not dash:
            draw.line(pixels, fill=_rgba(stroke), width=thickness, joint="curve")
            return
        for start, end in _dashes(pixels, [d * scale for d in dash]):
            draw.line([start, end], fill=_rgba(stroke), width=thickness)


def _dashes(pixels, pattern):
    """The drawn pieces of a dashed polyline: the pattern runs on across its corners."""
    index, left, drawn = 0, pattern[0], True
    for (x0, y0), (x1, y1) in pairwise(pixels):
        length = math.hypot(x1 - x0, y1 - y0)
        done = 0.0
        while done < length:
            step = min(left, length - done)
            if drawn:
                a, b = done / length, (done + step) / length
                yield (x0 + (x1 - x0) * a, y0 + (y1 - y0) * a), (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b)
            done += step
            left -= step
            if left <= 1e-9:
                index = (index + 1) % len(pattern)
                left, drawn = pattern[index], not drawn


@lru_cache(maxsize=32)
def _font(pixels: int):
    """Pillow's own scalable font (no font file to find or ship); it has no italic, so italic text is drawn
    upright in email pictures."""
    from PIL import ImageFont

    return ImageFont.load_default(pixels)


def _png_text(image, scale, x, y, text, size, fill, anchor, rotate, italic) -> None:
    from PIL import Image, ImageDraw

    font = _font(max(1, round(size * scale)))
    where = {"start": "ls", "middle": "ms", "end": "rs"}[anchor]  # horizontal anchor, on the baseline
    if not rotate:
        ImageDraw.Draw(image).text((x * scale, y * scale), text, font=font, fill=_rgba(fill), anchor=where)
        return
    # Drawn on a square centred on the anchor, turned about its centre, and laid over the picture.
    half = math.ceil(font.getlength(text) + size * scale * 2)
    piece = Image.new("RGBA", (2 * half, 2 * half), (0, 0, 0, 0))
    ImageDraw.Draw(piece).text((half, half), text, font=font, fill=_rgba(fill), anchor=where)
    piece = piece.rotate(rotate, resample=Image.Resampling.BICUBIC, center=(half, half))
    image.paste(piece, (round(x * scale) - half, round(y * scale) - half), piece)  # clipped at the edges
