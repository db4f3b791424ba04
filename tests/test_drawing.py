import io

import numpy as np
import pytest
from PIL import Image

from core import drawing
from core.drawing import ImageProblem


def upscale(image: np.ndarray, size: int) -> np.ndarray:
    return np.asarray(Image.fromarray(image).resize((size, size), Image.BICUBIC))


def on_canvas(digit: np.ndarray, size: int, top: int, left: int) -> np.ndarray:
    """A 280x280 black canvas with `digit` drawn size x size at (top, left)."""
    canvas = np.zeros((280, 280), np.uint8)
    canvas[top: top + size, left: left + size] = upscale(digit, size)
    return canvas


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel().astype(float), b.ravel().astype(float))[0, 1])


@pytest.fixture(scope="module")
def digits(real_mnist):
    return real_mnist.x_test[:40], real_mnist.y_test[:40]


def test_small_in_a_corner_equals_large_in_the_centre(digits):
    for digit in digits[0][:10]:
        small = drawing.to_mnist(on_canvas(digit, 90, 5, 180))
        large = drawing.to_mnist(on_canvas(digit, 260, 10, 10))
        assert similarity(small, large) > 0.95
        assert np.abs(small.astype(int) - large.astype(int)).mean() < 12


def test_centre_of_mass_is_within_half_a_pixel_of_the_centre(digits):
    for digit in digits[0]:
        seen = drawing.to_mnist(on_canvas(digit, 150, 120, 3))
        row, column = drawing.centre_of_mass(seen)
        assert abs(row - drawing.CENTRE) < 0.1 and abs(column - drawing.CENTRE) < 0.1


def test_the_centre_is_where_mnist_puts_it(real_mnist):
    """MNIST's own digits have their centre of mass at pixel (14, 14), counting from 0."""
    rows, columns = zip(*(drawing.centre_of_mass(image) for image in real_mnist.x_train[:2000]))
    assert abs(np.mean(rows) - drawing.CENTRE) < 0.05 and abs(np.mean(columns) - drawing.CENTRE) < 0.05
    assert np.all(np.abs(np.array(rows) - drawing.CENTRE) <= 1.5)


def test_digit_fits_a_20_pixel_box_and_reaches_full_ink(digits):
    seen = drawing.to_mnist(on_canvas(digits[0][0], 200, 40, 40))
    rows, columns = np.nonzero(seen)
    assert rows.max() - rows.min() < 21 and columns.max() - columns.min() < 21
    assert seen.dtype == np.uint8 and seen.max() == 255


def test_real_mnist_digits_come_back_close_to_themselves(digits):
    for digit in digits[0]:
        back = drawing.to_mnist(upscale(digit, 280))
        assert similarity(back, digit) > 0.85


def test_blank_and_nearly_blank_canvases_are_not_read():
    canvas = np.zeros((280, 280), np.uint8)
    assert drawing.to_mnist(canvas) is None
    canvas[100:105, 100:105] = 255  # a dot of 25 pixels: an accidental click, not a digit
    assert drawing.is_blank(canvas) and drawing.to_mnist(canvas) is None
    canvas[50:200, 130:145] = 255  # a real stroke: a "1"
    assert drawing.to_mnist(canvas) is not None


def test_plain_resize_keeps_position_and_size(digits):
    canvas = on_canvas(digits[0][0], 90, 5, 180)
    plain = drawing.to_mnist(canvas, plain_resize=True)
    row, column = drawing.centre_of_mass(plain)
    assert row < 8 and column > 18  # still small, still in the top right corner


def test_canvas_rgba_to_gray():
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[1, 1, :3] = 255  # white ink
    rgba[2, 2] = (255, 255, 255, 0)  # transparent: background
    gray = drawing.canvas_to_gray(rgba)
    assert gray[1, 1] == 255 and gray[2, 2] == 0 and gray[0, 0] == 0


def png(array: np.ndarray, mode: str | None = None) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode).save(buffer, format="PNG")
    return buffer.getvalue()


def test_uploads_either_polarity_give_light_ink_on_dark(digits):
    digit = upscale(digits[0][0], 140)
    light_on_dark = drawing.upload_to_gray(png(digit))
    dark_on_light = drawing.upload_to_gray(png(255 - digit))
    np.testing.assert_array_equal(light_on_dark, dark_on_light)
    buffer = io.BytesIO()
    Image.fromarray(255 - digit).convert("RGB").save(buffer, format="JPEG", quality=95)
    jpeg = drawing.upload_to_gray(buffer.getvalue())
    assert similarity(drawing.to_mnist(jpeg), drawing.to_mnist(light_on_dark)) > 0.95


def test_transparent_png_with_dark_ink():
    rgba = np.zeros((100, 100, 4), np.uint8)  # fully transparent...
    rgba[20:80, 45:55] = (0, 0, 0, 255)  # ...with an opaque black "1"
    gray = drawing.upload_to_gray(png(rgba, "RGBA"))
    assert gray[50, 50] == 255 and gray[5, 5] == 0


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"this is a text file, not a picture", "not a picture"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "not a picture"),
    (b"0" * (drawing.MAX_UPLOAD_BYTES + 1), "at most 10 MB"),
])
def test_bad_uploads_get_a_clear_message(data, message):
    with pytest.raises(ImageProblem, match=message):
        drawing.upload_to_gray(data)


def test_a_picture_with_too_many_pixels_is_refused_before_decoding():
    huge = png(np.zeros((6000, 5000), np.uint8))  # compresses to a few kB, 30 megapixels
    assert len(huge) < drawing.MAX_UPLOAD_BYTES
    with pytest.raises(ImageProblem, match="megapixels"):
        drawing.upload_to_gray(huge)


def test_a_trained_model_reads_the_upscaled_digits_the_same(real_mnist, tmp_path):
    from core import training
    from core.architecture import predict_probabilities
    from core.jobs import TrainingJob
    from tests.conftest import tiny_config

    config = tiny_config(epochs=3, train_images=20_000)
    config.dense[0].units = 64
    run = training.train(TrainingJob(config), real_mnist, tmp_path)
    from core import runs

    model = runs.load_model(run)
    images = real_mnist.x_test[:200]
    direct = predict_probabilities(model, images).argmax(axis=1)
    redrawn = np.stack([drawing.to_mnist(upscale(image, 280)) for image in images])
    through_canvas = predict_probabilities(model, redrawn).argmax(axis=1)
    assert (direct == through_canvas).mean() >= 0.95


def encode(array: np.ndarray, mode: str | None = None, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode).save(buffer, format=fmt)
    return buffer.getvalue()


def photo_of(digit: np.ndarray, paper: int, ink: int, frame: int | None = None, size: int = 300,
             noise: float = 6.0) -> np.ndarray:
    """A grayscale 'photo': the digit in `ink` on `paper`, optionally inside a dark frame, with noise."""
    shape = upscale(digit, size // 2).astype(float) / 255
    picture = np.full((size, size), float(paper))
    top = size // 4
    picture[top: top + size // 2, top: top + size // 2] = paper + (ink - paper) * shape
    if frame is not None:
        picture[:12], picture[-12:], picture[:, :12], picture[:, -12:] = frame, frame, frame, frame
    picture += np.random.default_rng(0).normal(0, noise, picture.shape)
    return np.clip(picture, 0, 255).astype(np.uint8)


def upload_cases(digit: np.ndarray) -> dict[str, bytes]:
    big = upscale(digit, 200)
    white_on_clear = np.zeros((200, 200, 4), np.uint8)
    white_on_clear[..., :3], white_on_clear[..., 3] = 255, big  # white ink, shape in the alpha
    black_on_clear = np.zeros((200, 200, 4), np.uint8)
    black_on_clear[..., 3] = big  # black ink, shape in the alpha
    sixteen = (255 - big).astype(np.uint16) * 257  # dark on white, in 16 bits
    return {
        "white digit on transparent": encode(white_on_clear, "RGBA"),
        "black digit on transparent": encode(black_on_clear, "RGBA"),
        "16-bit grayscale": encode(sixteen),
        "photo with a dark frame": encode(photo_of(digit, paper=225, ink=35, frame=20), fmt="JPEG"),
        "mid-gray paper": encode(photo_of(digit, paper=128, ink=25)),
    }


@pytest.mark.parametrize("case", ["white digit on transparent", "black digit on transparent",
                                  "16-bit grayscale", "photo with a dark frame", "mid-gray paper"])
def test_awkward_uploads_read_like_the_digit_itself(digits, case):
    for digit in digits[0][:5]:
        reference = drawing.to_mnist(upscale(digit, 280))
        gray = drawing.upload_to_gray(upload_cases(digit)[case], "digit.png")
        assert drawing.digit_problem(gray) == "", case
        seen = drawing.to_mnist(gray)
        assert similarity(seen, reference) > 0.9, case


def test_too_little_ink_or_ink_everywhere_is_said_not_read(digits):
    paper = np.full((300, 300), 230, np.uint8)
    paper[150:154, 150:154] = 20  # a speck
    assert "bigger" in drawing.digit_problem(drawing.upload_to_gray(encode(paper), "speck.png"))
    canvas = np.zeros((280, 280), np.uint8)
    canvas[100:110, 100:110] = 255  # a dot on the canvas
    assert "bigger" in drawing.digit_problem(canvas)
    noise = np.random.default_rng(1).integers(0, 256, (200, 200), dtype=np.uint8)
    assert "does not look like one digit" in drawing.digit_problem(drawing.upload_to_gray(encode(noise)))
    scribble = np.zeros((280, 280), np.uint8)
    scribble[20:260, 20:260] = 255  # the whole canvas painted over
    assert "does not look like one digit" in drawing.digit_problem(scribble)
    assert drawing.digit_problem(np.zeros((280, 280), np.uint8)) == ""  # empty: nothing to say yet
    assert drawing.digit_problem(on_canvas(digits[0][0], 200, 40, 40)) == ""


def test_an_unreadable_file_is_named_in_the_message():
    with pytest.raises(ImageProblem) as raised:
        drawing.upload_to_gray(b"GIF89a but not really", "holiday photo.png")
    assert "holiday photo.png" in str(raised.value) and "BytesIO" not in str(raised.value)


def encoded(image: np.ndarray, format: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format=format)
    return buffer.getvalue()


def header_only_png(width: int, height: int) -> bytes:
    """A PNG that says it is width x height pixels and holds none: what a decompression bomb's
    first bytes look like (the bomb's zeros, which compress a thousandfold, are left out)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize("format", ["PNG", "JPEG"])
def test_a_huge_photo_is_shrunk_as_it_is_opened_and_still_read(digits, format):
    digit = digits[0][3]
    photo = 255 - upscale(digit, 5000)  # dark ink on white paper, 25 megapixels
    gray = drawing.upload_to_gray(encoded(photo, format), f"photo.{format.lower()}")
    assert max(gray.shape) <= drawing.MAX_SIDE  # worked on at most 1024 x 1024, not 5000 x 5000
    reference = drawing.to_mnist(upscale(digit, 280))
    assert similarity(drawing.to_mnist(gray), reference) > 0.9


def test_pictures_too_large_to_open_are_refused_in_words():
    with pytest.raises(ImageProblem, match=r"big\.png is 6,000 x 6,000 pixels; at most 25 megapixels"):
        drawing.upload_to_gray(header_only_png(6000, 6000), "big.png")
    with pytest.raises(ImageProblem) as refusal:
        drawing.upload_to_gray(header_only_png(20_000, 20_000), "bomb.png")
    said = str(refusal.value)
    assert said.startswith("bomb.png says it is a picture of hundreds of millions of pixels")
    assert "decompression bomb" not in said and "DOS" not in said  # not Pillow's words
