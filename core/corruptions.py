"""The fifteen MNIST-C corruptions (Mu and Gilmer, 2019), ported from the reference's code
(google-research/mnist-c, corruptions.py) at the severity its CORRUPTIONS list uses by default.

The reference cannot be imported as it is (NumPy 2 removed `np.float_` and `np.int`, scikit-image
its `multichannel=`, and it unpickles a file at import), and it seeds nothing: every random choice
here comes from a `numpy.random.Generator`, so the same seed gives the same images. The definitions
are the reference's, step by step, on batches of images where they allow it; one quirk is kept on
purpose: its glass blur blurs a 2D image with `multichannel=True`, which blurs each column only
(vertically: the last axis was taken for colour channels), so glass blur here does too.

Images are raw 28x28 gray levels, (n, 28, 28) uint8 in and out.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np

SIDE = 28
CENTRE = 13.5  # the reference keeps the image's centre fixed under its affine changes


def _unit(images: np.ndarray) -> np.ndarray:
    return np.asarray(images, dtype=np.float64) / 255.0


def _gray(unit: np.ndarray) -> np.ndarray:
    """From 0..1 back to gray levels, rounded as an image file stores them."""
    return np.round(np.clip(unit, 0, 1) * 255).astype(np.uint8)


def _blur(unit: np.ndarray, sigma) -> np.ndarray:
    """scikit-image's Gaussian filter (its defaults: the nearest pixel beyond the border, 4 sigmas)
    on each image."""
    from skimage.filters import gaussian

    sigmas = (0, *np.broadcast_to(sigma, 2))
    return gaussian(unit, sigma=sigmas, mode="nearest", truncate=4.0, preserve_range=True)


def shot_noise(images, rng):  # severity 5
    c = 3
    return _gray(rng.poisson(_unit(images) * c) / c)


def impulse_noise(images, rng):  # severity 4: salt and pepper on 17% of the pixels
    from skimage.util import random_noise

    return _gray(random_noise(_unit(images), mode="s&p", amount=0.17, rng=rng))


def glass_blur(images, rng):  # severity 1: sigma 0.7, pixels swapped up to 1 away, twice
    sigma, delta, iterations = 0.7, 1, 2
    x = np.uint8(_blur(_unit(images), (sigma, 0)) * 255)  # truncated, as the reference's np.uint8
    n = len(x)
    for _ in range(iterations):  # the reference's loop, on every image at once
        for h in range(SIDE - delta, delta, -1):
            for w in range(SIDE - delta, delta, -1):
                swapping = np.flatnonzero(rng.random(n) < 0.5)
                dx, dy = rng.integers(-delta, delta, size=(2, len(swapping)))
                here, there = x[swapping, h, w], x[swapping, h + dy, w + dx]
                x[swapping, h, w], x[swapping, h + dy, w + dx] = there, here
    return _gray(_blur(x / 255.0, (sigma, 0)))


def motion_blur(images, rng):  # severity 1: ImageMagick's motion blur, radius 10, sigma 3
    import cv2
    from PIL import Image
    from wand.image import Image as WandImage

    out = np.empty_like(np.asarray(images, dtype=np.uint8))
    for number, image in enumerate(np.asarray(images, dtype=np.uint8)):
        png = io.BytesIO()
        Image.fromarray(image, mode="L").save(png, format="PNG")
        with WandImage(blob=png.getvalue()) as blurred:
            blurred.motion_blur(radius=10, sigma=3, angle=rng.uniform(-45, 45))
            decoded = cv2.imdecode(np.frombuffer(blurred.make_blob("png"), np.uint8), cv2.IMREAD_GRAYSCALE)
        out[number] = decoded
    return out


def _affine(images, make: Callable[[np.random.Generator], np.ndarray], rng, centred: bool = True
            ) -> np.ndarray:
    """Each image warped by the 3x3 affine matrix `make(rng)` (scikit-image's inverse map), the
    centre kept fixed where the reference keeps it."""
    from skimage import transform

    out = np.empty(np.shape(images), np.uint8)
    for number, image in enumerate(_unit(images)):
        matrix = np.array(make(rng), dtype=float)
        if centred:
            (a1, a2), (b1, b2) = matrix[0, :2], matrix[1, :2]
            matrix[:2, 2] = CENTRE * (1 - a1 - a2), CENTRE * (1 - b1 - b2)
        out[number] = _gray(transform.warp(image, inverse_map=transform.AffineTransform(matrix=matrix)))
    return out


def _direction(rng) -> int:
    return int(rng.choice([-1, 1]))


def _sheared(angle: float) -> np.ndarray:
    """The matrix of the reference's AffineTransform(shear=angle): scikit-image then (0.14) made it
    [[1, -sin], [0, cos]]; its later versions read `shear` otherwise, so it is written out here."""
    return np.array([[1, -np.sin(angle), 0], [0, np.cos(angle), 0], [0, 0, 1]])


def _rotated(angle: float) -> np.ndarray:
    return np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])


def shear(images, rng):  # severity 2: a shear of 0.4 either way
    return _affine(images, lambda rng: _sheared(0.4 * _direction(rng)), rng)


def scale(images, rng):  # severity 3: shrunk to 70%
    return _affine(images, lambda rng: np.diag([1 / 0.7, 1 / 0.7, 1]), rng)


def rotate(images, rng):  # severity 2: turned by 0.4 radians (23 degrees) either way
    return _affine(images, lambda rng: _rotated(0.4 * _direction(rng)), rng)


def translate(images, rng):  # severity 3: moved 3 pixels along each axis, either way
    def moved(rng):
        matrix = np.eye(3)
        matrix[:2, 2] = 3 * rng.choice([-1, 1], 2)
        return matrix

    return _affine(images, moved, rng, centred=False)


def brightness(images, rng):  # severity 5: +0.5 on the value channel of HSV
    # the reference goes gray -> RGB -> HSV, adds to V, and back; a gray pixel's V is its gray level
    # and its saturation 0, and rgb2gray's weights sum to 1: the same as adding to the gray level,
    # at a hundredth of the time (the tests check it against scikit-image's round trip)
    return _gray(_unit(images) + 0.5)


def stripe(images, rng):
    x = np.asarray(images, dtype=np.uint8).copy()
    x[:, :, :7] = 255 - x[:, :, :7]
    x[:, :, 21:] = 255 - x[:, :, 21:]
    return x


def plasma_fractal(rng, mapsize: int = 256, wibbledecay: float = 3.0) -> np.ndarray:
    """The reference's diamond-square height map (floats 0..1 on a `mapsize` square)."""
    maparray = np.empty((mapsize, mapsize), dtype=np.float64)
    maparray[0, 0] = 0
    stepsize, wibble = mapsize, 100.0

    def wibbledmean(array):
        return array / 4 + wibble * rng.uniform(-wibble, wibble, array.shape)

    while stepsize >= 2:
        half = stepsize // 2
        corners = maparray[0:mapsize:stepsize, 0:mapsize:stepsize]
        squares = corners + np.roll(corners, shift=-1, axis=0)
        squares += np.roll(squares, shift=-1, axis=1)
        maparray[half:mapsize:stepsize, half:mapsize:stepsize] = wibbledmean(squares)
        centres = maparray[half:mapsize:stepsize, half:mapsize:stepsize]
        corners = maparray[0:mapsize:stepsize, 0:mapsize:stepsize]
        left = centres + np.roll(centres, 1, axis=0) + corners + np.roll(corners, -1, axis=1)
        maparray[0:mapsize:stepsize, half:mapsize:stepsize] = wibbledmean(left)
        top = centres + np.roll(centres, 1, axis=1) + corners + np.roll(corners, -1, axis=0)
        maparray[half:mapsize:stepsize, 0:mapsize:stepsize] = wibbledmean(top)
        stepsize //= 2
        wibble /= wibbledecay
    maparray -= maparray.min()
    return maparray / maparray.max()


def fog(images, rng):  # severity 5: a plasma fractal of strength 3, decay 1.4
    strength, decay = 3.0, 1.4
    out = np.empty(np.shape(images), np.uint8)
    for number, image in enumerate(_unit(images)):
        brightest = image.max()
        fogged = image + strength * plasma_fractal(rng, wibbledecay=decay)[:SIDE, :SIDE]
        out[number] = _gray(fogged * brightest / (brightest + strength))
    return out


def spatter(images, rng):  # severity 4: mud (gray 63) in blobs
    loc, spread, sigma, threshold, mud_sigma = 0.65, 0.3, 1, 0.65, 1.5
    x = _unit(images)
    liquid = _blur(rng.normal(size=x.shape, loc=loc, scale=spread), sigma)
    liquid[liquid < threshold] = 0
    mud = _blur(np.where(liquid > threshold, 1.0, 0.0), mud_sigma)
    mud[mud < 0.8] = 0
    return _gray(x * (1 - mud) + 63 / 255 * mud)


def line_from_points(c0, r0, c1, r1) -> np.ndarray:
    """The reference's anti-aliased line from column c0 (row r0) to column c1 (row r1), 0..1."""
    if c1 == c0:
        return np.zeros((SIDE, SIDE))
    cc, rr = np.meshgrid(np.linspace(0, 27, SIDE), np.linspace(0, 27, SIDE), sparse=True)
    slope = (r1 - r0) / (c1 - c0)
    distance = np.clip(np.abs(rr - (slope * (cc - c0) + r0)), 0, 2.3 - 1e-10)
    line = np.clip(np.log(1 - distance / 2.3) + 1, 0, 1)
    line[:, :int(np.floor(c0))] = 0
    line[:, int(np.ceil(c1)):] = 0
    return np.clip(line, 0, 1)


def dotted_line(images, rng):
    out = np.empty(np.shape(images), np.uint8)
    for number, image in enumerate(_unit(images)):
        r0, r1 = rng.integers(0, 27, size=2)
        line = line_from_points(0, r0, 27, r1)
        for start in range(0, 28, 4):  # every other 2-pixel stretch left out: dots
            line[:, start:start + 2] = 0
        out[number] = _gray(image + line)
    return out


def _zigzag_line(rng) -> np.ndarray:
    """The reference's zigzag from column 2 to 25, its rows drawn at random: 0..1."""
    a = b = 2.0  # length and width of its zigs
    c0, c1 = 2, 25
    r0 = rng.integers(0, 27)
    r1 = r0 + rng.integers(-5, 5)
    theta = np.arctan((r1 - r0) / (c1 - c0))
    length = (c1 - c0) / np.cos(theta)
    endpoints = [(0.0, 0.0)]
    for i in range(int((length - a) // (2 * a)) + 1):
        endpoints.append(((2 * i + 1) * a, (-1) ** i * b))
    last_row = endpoints[-1][1]
    whole = (2 * a) * (length // (2 * a))
    if length != whole:
        endpoints.append((length, last_row / (2 * (length - whole))))
    turn = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    cs, rs = turn @ np.array(endpoints).T
    cs, rs = cs + c0, rs + r0
    line = np.zeros((SIDE, SIDE))
    for i in range(1, len(cs)):
        line = np.clip(line + line_from_points(cs[i - 1], rs[i - 1], cs[i], rs[i]), 0, 1)
    return line


def zigzag(images, rng):
    out = np.empty(np.shape(images), np.uint8)
    for number, image in enumerate(_unit(images)):
        out[number] = _gray(image + _zigzag_line(rng))
    return out


def canny_edges(images, rng):
    from skimage import feature

    return np.stack([feature.canny(image).astype(np.uint8) * 255 for image in _unit(images)])


# name: (the function, what it does in words), in the reference's order
CORRUPTIONS: dict[str, tuple[Callable, str]] = {
    "shot noise": (shot_noise, "Poisson noise, as in a photograph taken with little light"),
    "impulse noise": (impulse_noise, "17% of the pixels set to black or white"),
    "glass blur": (glass_blur, "blurred, neighbouring pixels swapped, blurred again: frosted glass"),
    "motion blur": (motion_blur, "smeared along a random direction (ImageMagick's motion blur)"),
    "shear": (shear, "slanted by a shear of 0.4, either way"),
    "scale": (scale, "shrunk to 70% about the centre"),
    "rotate": (rotate, "turned by 0.4 radians (23 degrees), either way"),
    "brightness": (brightness, "brightened: +0.5 on the value of every pixel, the background gray"),
    "translate": (translate, "moved by 3 pixels along each axis"),
    "stripe": (stripe, "the 7 columns at each side inverted"),
    "fog": (fog, "a cloudy plasma fractal laid over, the digit dimmed"),
    "spatter": (spatter, "blobs of gray mud"),
    "dotted line": (dotted_line, "a dotted line drawn across"),
    "zigzag": (zigzag, "a zigzag line drawn across"),
    "canny edges": (canny_edges, "only the edges of the strokes, as the Canny detector finds them"),
}
# Bumped whenever a definition changes: the cached images are then made again.
VERSION = 2


def corrupt(images: np.ndarray, name: str, seed: int) -> np.ndarray:
    """`images` (n, 28, 28) uint8 under corruption `name`, its random choices drawn from `seed`."""
    if name not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {name!r}: choose one of {', '.join(CORRUPTIONS)}")
    images = np.asarray(images, dtype=np.uint8)
    return CORRUPTIONS[name][0](images, np.random.default_rng(seed))


def seed_of(name: str, base: int = 0) -> int:
    """Each corruption's own fixed seed: the same images every time, different draws per corruption."""
    return base * 100 + list(CORRUPTIONS).index(name)

