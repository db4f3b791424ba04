"""Bringing a drawing or an uploaded picture to MNIST's conventions before a network reads it.

MNIST's digits were size-normalised to fit a 20x20 box (keeping their aspect ratio, with
anti-aliasing) and then centred by their centre of mass in a 28x28 field, light ink on black.
A network trained on them expects exactly that; a digit drawn small in a corner does not look
like MNIST until it has gone through the same steps.
"""

from __future__ import annotations

import io
import re

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage

FIELD = 28
BOX = 20
# Where MNIST put each digit's centre of mass: pixel (14, 14), counting pixel centres from 0 (the
# training images average 13.99, 14.00). The geometric centre, 13.5, is half a pixel up and left.
CENTRE = 14.0
INK_LEVEL = 40  # a pixel brighter than this (of 255) counts as ink
MIN_INK_FRACTION = 0.0005  # fewer ink pixels than this share of the picture: "draw a digit"
MIN_EXTENT = 0.1  # a digit smaller than this share of the picture's side is a dot, not a digit
MAX_INK_FRACTION = 0.4  # MNIST digits cover about 19% of their field; 40% of a picture is a scribble
MAX_PIECES = 6  # separate blobs of ink (after closing small gaps): more is not one digit
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_PIXELS = 25_000_000
MAX_SIDE = 1024  # a larger upload is shrunk to this many pixels a side as it is opened


class ImageProblem(ValueError):
    """An upload that is not a usable picture; the message says why, for the page."""


def canvas_to_gray(rgba: np.ndarray) -> np.ndarray:
    """The canvas's RGBA (white ink on black) as 0-255 gray, transparent pixels counting as black."""
    rgba = np.asarray(rgba, dtype=np.float32)
    if rgba.ndim != 3 or rgba.shape[2] not in (3, 4):
        raise ValueError(f"expected an RGB or RGBA image, got shape {rgba.shape}")
    gray = rgba[..., :3].mean(axis=2)
    if rgba.shape[2] == 4:
        gray = gray * rgba[..., 3] / 255
    return np.rint(gray).astype(np.uint8)


def upload_to_gray(data: bytes, name: str = "the file") -> np.ndarray:
    """An uploaded picture as light ink on a black background, 0-255, whichever way it was drawn.

    A large picture is shrunk to at most MAX_SIDE pixels a side as it is opened (a digit ends up
    20 pixels tall anyway): a 5000x5000 photo then costs a few megabytes, not a gigabyte. JPEGs are
    decoded at that scale directly. Transparency is laid on the paper that contrasts with the ink;
    16-bit pictures are scaled down to 8 bits; the ink is told from the paper by Otsu's threshold
    (the ink is the smaller class), and the paper's own gray is subtracted, so a digit on gray paper
    reads like one on white.
    """
    if not data:
        raise ImageProblem(f"{name} is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageProblem(f"{name} is {len(data) / 2**20:.1f} MB; at most "
                           f"{MAX_UPLOAD_BYTES // 2**20} MB, please.")
    try:
        with Image.open(io.BytesIO(data)) as picture:
            width, height = picture.size
            if width * height > MAX_UPLOAD_PIXELS:
                raise ImageProblem(f"{name} is {width:,} x {height:,} pixels; at most "
                                   f"{MAX_UPLOAD_PIXELS / 1e6:.0f} megapixels, please (a digit needs far "
                                   "fewer: it is read at 28 x 28).")
            gray = _luminance(_shrunk(picture))
    except ImageProblem:
        raise
    except Image.DecompressionBombError as error:  # Pillow refuses it before reading a pixel
        raise ImageProblem(f"{name} says it is a picture of hundreds of millions of pixels: that is no "
                           "photo of a digit, and opening it could exhaust the server's memory, so it "
                           f"is not opened. At most {MAX_UPLOAD_PIXELS / 1e6:.0f} megapixels, please."
                           ) from error
    except (UnidentifiedImageError, OSError, ValueError) as error:
        # Pillow's messages name the in-memory stream ("<_io.BytesIO object at 0x...>"): say the file
        reason = re.sub(r"<_io\.BytesIO object at 0x[0-9a-f]+>", name, str(error))
        raise ImageProblem(f"{name} is not a picture that can be read: {reason}. "
                           "Upload a PNG or JPEG of one digit.") from error
    return _light_on_dark(gray)


def _shrunk(picture: Image.Image) -> Image.Image:
    """The picture, upright (its EXIF orientation), at most MAX_SIDE pixels a side."""
    picture.draft(None, (MAX_SIDE, MAX_SIDE))  # a JPEG decodes at 1/2, 1/4 or 1/8 of its size
    picture = ImageOps.exif_transpose(picture)
    if max(picture.size) <= MAX_SIDE:
        return picture
    if picture.mode == "P":  # a palette cannot be averaged: its colours first (transparency kept)
        picture = picture.convert("RGBA")
    elif picture.mode == "1":
        picture = picture.convert("L")
    elif picture.mode.startswith("I;16"):
        picture = picture.convert("I")
    picture.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BOX)  # each pixel an average of its block
    return picture


def _luminance(picture: Image.Image) -> np.ndarray:
    """0-255 gray (float) of any Pillow mode; transparent areas become paper behind the ink."""
    if picture.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):  # 16 bits (or more) per pixel
        pixels = np.asarray(picture, dtype=np.float64)
        return pixels * (255 / 65535) if pixels.max() > 255 else pixels
    if picture.mode == "F":
        pixels = np.asarray(picture, dtype=np.float64)
        return pixels * 255 if pixels.max() <= 1 else pixels
    has_alpha = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
    if not has_alpha:
        return np.asarray(picture.convert("L"), dtype=np.float64)
    gray, alpha = np.moveaxis(np.asarray(picture.convert("LA"), dtype=np.float64), 2, 0)
    alpha /= 255
    if alpha.min() > 0.99:
        return gray
    # The opaque part is the drawing: lay it on the paper its ink stands out from.
    opaque = alpha > 0.5
    ink_is_light = opaque.any() and np.median(gray[opaque]) > 127
    paper = 0.0 if ink_is_light else 255.0
    return gray * alpha + paper * (1 - alpha)


def otsu_threshold(gray: np.ndarray) -> float:
    """The gray level that best separates two classes of pixels (Otsu, 1979), over 256 bins."""
    counts, edges = np.histogram(gray, bins=256, range=(0, 256))
    levels = (edges[:-1] + edges[1:]) / 2
    weight_low = np.cumsum(counts)
    weight_high = weight_low[-1] - weight_low
    sum_low = np.cumsum(counts * levels)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_low = sum_low / weight_low
        mean_high = (sum_low[-1] - sum_low) / weight_high
        between = weight_low * weight_high * (mean_low - mean_high) ** 2
    return float(edges[int(np.nanargmax(np.nan_to_num(between, nan=-1))) + 1])


def _light_on_dark(gray: np.ndarray) -> np.ndarray:
    """Invert if the light pixels are the majority (paper), then bring the paper to black."""
    gray = np.asarray(gray, dtype=np.float64)
    if np.ptp(gray) < 1:
        return np.zeros(gray.shape, np.uint8)  # one flat colour: no ink at all
    threshold = otsu_threshold(gray)
    if np.mean(gray >= threshold) > 0.5:
        gray = 255 - gray
        threshold = otsu_threshold(gray)  # on the inverted picture, so both polarities agree exactly
    ink = gray >= threshold
    ink = _without_frame(ink)
    paper_level = np.median(gray[~ink]) if (~ink).any() else 0.0
    light = np.clip(gray - paper_level, 0, None)
    light[~ndimage.binary_dilation(ink, iterations=2)] = 0  # specks of paper texture are not ink
    peak = light.max()
    return np.rint(light * (255 / peak) if peak > 0 else light).astype(np.uint8)


def _without_frame(ink: np.ndarray) -> np.ndarray:
    """The ink without the parts that touch the picture's edge (a photo's dark frame, a table's
    edge), unless that would leave nothing."""
    labels, count = ndimage.label(ink)
    if count == 0:
        return ink
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    inside = ink & ~np.isin(labels, edge[edge > 0])
    return inside if inside.any() else ink


def digit_problem(gray: np.ndarray) -> str:
    """Why `gray` (light ink on black) cannot be read as one digit, or '' if it can.

    A stray dot, or a scribble over everything, would otherwise get a confident answer.
    """
    ink = np.asarray(gray) > INK_LEVEL
    if not ink.any():
        return ""  # nothing drawn yet: the page waits for a drawing
    rows, columns = np.nonzero(ink)
    extent = max(rows.max() - rows.min(), columns.max() - columns.min()) + 1
    if is_blank(gray) or extent < MIN_EXTENT * min(ink.shape):
        return "There is too little ink to read: draw one digit, bigger."
    if ink.mean() > MAX_INK_FRACTION:
        return ("This does not look like one digit: ink covers "
                f"{ink.mean():.0%} of the picture. Draw (or photograph) one digit on plain paper.")
    _, pieces = ndimage.label(ndimage.binary_dilation(ink, iterations=max(1, min(ink.shape) // 100)))
    if pieces > MAX_PIECES:
        return (f"This does not look like one digit: the ink is in {pieces} separate pieces. "
                "Draw one digit, in a few strokes.")
    return ""


def is_blank(gray: np.ndarray) -> bool:
    return np.count_nonzero(gray > INK_LEVEL) < max(4, MIN_INK_FRACTION * gray.size)


def to_mnist(gray: np.ndarray, plain_resize: bool = False) -> np.ndarray | None:
    """A 28x28 uint8 image in MNIST's conventions, or None when there is no digit to read.

    With plain_resize the whole picture is just shrunk to 28x28, to show why the rest matters.
    """
    gray = np.asarray(gray, dtype=np.uint8)
    if is_blank(gray):
        return None
    if plain_resize:
        return _stretch(np.asarray(Image.fromarray(gray).resize((FIELD, FIELD), Image.LANCZOS)))
    rows, columns = np.nonzero(gray > INK_LEVEL)
    ink = gray[rows.min(): rows.max() + 1, columns.min(): columns.max() + 1]
    height, width = ink.shape
    scale = BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # Pillow's resampling filters take every source pixel into account when shrinking: anti-aliased
    boxed = np.asarray(Image.fromarray(ink).resize(size, Image.LANCZOS), dtype=np.float64)
    boxed = boxed.clip(0, 255)
    field = np.zeros((FIELD, FIELD))
    top, left = (FIELD - boxed.shape[0]) // 2, (FIELD - boxed.shape[1]) // 2
    field[top: top + boxed.shape[0], left: left + boxed.shape[1]] = boxed
    # then move it, by a fraction of a pixel if need be, so its centre of mass is where MNIST's are
    row, column = ndimage.center_of_mass(field)
    field = ndimage.shift(field, (CENTRE - row, CENTRE - column), order=1, mode="constant")
    return _stretch(field)


def _stretch(image: np.ndarray) -> np.ndarray:
    """Scale so the brightest pixel is 255, as in MNIST (where nearly every digit reaches 255)."""
    image = np.asarray(image, dtype=np.float64)
    peak = image.max()
    return np.rint(image * (255 / peak) if peak > 0 else image).clip(0, 255).astype(np.uint8)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of the intensity-weighted centre, in pixel-centre coordinates."""
    return tuple(float(c) for c in ndimage.center_of_mass(np.asarray(image, dtype=np.float64)))
