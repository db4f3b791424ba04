"""Bringing a drawing or an uploaded picture to MNIST's conventions before a network reads it.

MNIST's digits were size-normalised to fit a 20x20 box (keeping their aspect ratio, with
anti-aliasing) and then centred by their centre of mass in a 28x28 field, light ink on black.
A network trained on them expects exactly that; a digit drawn small in a corner does not look
like MNIST until it has gone through the same steps.
"""

from __future__ import annotations

import io

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
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_PIXELS = 25_000_000


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


def upload_to_gray(data: bytes) -> np.ndarray:
    """An uploaded PNG or JPEG as light-on-dark 0-255 gray, whichever way round it was drawn."""
    if not data:
        raise ImageProblem("The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageProblem(f"The file is {len(data) / 2**20:.1f} MB; at most "
                           f"{MAX_UPLOAD_BYTES // 2**20} MB, please.")
    try:
        with Image.open(io.BytesIO(data)) as picture:
            width, height = picture.size
            if width * height > MAX_UPLOAD_PIXELS:
                raise ImageProblem(f"The picture is {width}x{height} pixels; at most "
                                   f"{MAX_UPLOAD_PIXELS / 1e6:.0f} megapixels, please.")
            picture.load()
            if picture.mode in ("RGBA", "LA", "P"):  # transparency: lay it on white paper
                paper = Image.new("RGBA", picture.size, "white")
                picture = Image.alpha_composite(paper, picture.convert("RGBA"))
            gray = np.asarray(ImageOps.exif_transpose(picture).convert("L"))
    except ImageProblem:
        raise
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError) as error:
        raise ImageProblem(f"This file is not a picture that can be read ({error}).") from error
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return 255 - gray if np.median(border) > 127 else gray  # dark ink on light paper: invert


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
