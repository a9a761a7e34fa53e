"""Image I/O: decoding every format and mode, masks, encoders, sizes, data URLs (measured pixels)."""

from __future__ import annotations

import base64
import io
import multiprocessing
import multiprocessing.queues
import struct
import sys
import time
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageCms, ImageOps

from retouch.errors import ImageTooLargeError, InputError, MaskError, OptionError
from retouch.imaging import (
    decode_image,
    encode_image,
    fit_to_size,
    from_base64,
    load_mask,
    parse_data_url,
    parse_size,
    read_input,
    resample,
    sniff_format,
    to_base64,
    to_data_url,
)
from retouch.imaging.encode import adler32_combine, jpeg_quality

RNG = np.random.default_rng(7)


def save(im: Image.Image, fmt: str, **kw: object) -> bytes:
    """Encode a Pillow image in memory."""
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def photo(h: int = 48, w: int = 64, channels: int = 3) -> np.ndarray:
    """A smooth deterministic gradient image with some texture."""
    y, x = np.mgrid[0:h, 0:w]
    planes = [x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) * 255 // max(w + h - 2, 1)]
    if channels == 4:
        planes.append(np.full((h, w), 255))
    return np.dstack(planes[:channels]).astype(np.uint8)


def png_header_only(width: int, height: int, bit_depth: int = 1, color_type: int = 0) -> bytes:
    """A tiny PNG that declares a huge size (decompression bomb shape)."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    idat = chunk(b"IDAT", zlib.compress(b"\0" * 64))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + idat + chunk(b"IEND", b"")


def linear_rgb_icc() -> bytes:
    """A minimal ICC v2 display profile: sRGB primaries with a linear (gamma 1.0) tone curve."""

    def s15(v: float) -> bytes:
        return struct.pack(">i", round(v * 65536))

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ \0\0\0\0" + s15(x) + s15(y) + s15(z)

    text = b"Linear RGB test\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + b"\0" * 8 + b"\0\0\0" + b"\0" * 67
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0100) + b"\0\0"
    tags = [
        (b"desc", desc),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.4361, 0.2225, 0.0139)),
        (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)),
        (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
        (b"cprt", b"text\0\0\0\0none\0\0\0\0"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for sig, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = struct.pack(">I", size) + b"\0" * 4 + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
    header += b"\0" * 12 + b"acsp" + b"\0" * 24 + s15(0.9642) + s15(1.0) + s15(0.8249)
    header += b"\0" * (128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + data


# --------------------------------------------------------------------------- decode: formats and modes


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF", "BMP"])
def test_lossless_formats_round_trip_exact_rgb(fmt: str) -> None:
    a = photo()
    kw = {"lossless": True} if fmt == "WEBP" else {}
    out = decode_image(save(Image.fromarray(a), fmt, **kw))
    assert out.dtype == np.uint8 and out.shape == a.shape
    assert np.array_equal(out, a)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF"])
def test_rgba_with_transparency_keeps_alpha(fmt: str) -> None:
    a = photo(channels=4)
    a[:10, :10, 3] = 0
    a[10:20, :10, 3] = 128
    kw = {"lossless": True, "exact": True} if fmt == "WEBP" else {}
    out = decode_image(save(Image.fromarray(a), fmt, **kw))
    assert out.shape == a.shape
    assert np.array_equal(out, a)


def test_bytearray_and_memoryview_inputs() -> None:
    data = save(Image.fromarray(photo()), "PNG")
    assert np.array_equal(decode_image(bytearray(data)), decode_image(memoryview(data)))


def test_fully_opaque_rgba_becomes_rgb() -> None:
    a = photo(channels=4)
    out = decode_image(save(Image.fromarray(a), "PNG"))
    assert out.shape == (*a.shape[:2], 3)
    assert np.array_equal(out, a[..., :3])


def test_jpeg_decodes_close_to_source() -> None:
    a = photo()
    out = decode_image(save(Image.fromarray(a), "JPEG", quality=95))
    assert out.shape == a.shape
    assert np.abs(out.astype(int) - a).mean() < 3


def test_gif_first_frame_with_transparency() -> None:
    frames = [Image.new("P", (20, 10), 1), Image.new("P", (20, 10), 2)]
    for f in frames:
        f.putpalette([0, 0, 0, 255, 0, 0, 0, 0, 255] + [0] * 759)
    frames[0].paste(0, (0, 0, 5, 10))  # left quarter uses the transparent index 0
    data = save(frames[0], "GIF", save_all=True, append_images=frames[1:], transparency=0)
    out = decode_image(data)
    assert out.shape == (10, 20, 4)
    assert (out[:, :5, 3] == 0).all()
    assert (out[:, 5:] == [255, 0, 0, 255]).all()  # frame 0 is red, not frame 1's blue


def test_16bit_rgb_png_is_rounded_not_truncated() -> None:
    values = np.array([0, 257 * 128, 32767, 32768, 65535, 65280], np.uint16)
    a16 = np.broadcast_to(values[None, :, None], (4, 6, 3)).copy()
    ok, buf = cv2.imencode(".png", a16)  # Pillow cannot write 16-bit RGB; OpenCV can
    assert ok
    out = decode_image(buf.tobytes())
    expected = np.round(values / 257).astype(np.uint8)  # 0, 128, 127, 128, 255, 254
    assert out.shape == (4, 6, 3)
    assert np.array_equal(out[0, :, 0], expected)


def test_16bit_rgba_png_keeps_alpha_scaled() -> None:
    a16 = np.zeros((2, 3, 4), np.uint16)
    a16[..., 2] = 65535  # BGRA order for OpenCV: red
    a16[..., 3] = [[0, 32896, 65535]] * 2
    _ok, buf = cv2.imencode(".png", a16)
    out = decode_image(buf.tobytes())
    assert out.shape == (2, 3, 4)
    assert np.array_equal(out[0, :, 3], [0, 128, 255])
    assert (out[..., 0] == 255).all() and (out[..., 2] == 0).all()


def test_16bit_rgb_tiff_rounded_and_truncated_is_quiet(capfd: pytest.CaptureFixture[str]) -> None:
    a16 = np.zeros((40, 50, 3), np.uint16)
    a16[..., 2] = 32767  # red, in OpenCV's BGR order
    a16[..., 1] = 65535
    _ok, buf = cv2.imencode(".tiff", a16)
    out = decode_image(buf.tobytes())
    assert out.shape == (40, 50, 3) and (out == (127, 255, 0)).all()
    for cut in (len(buf) // 2, len(buf) - 10):
        with pytest.raises(InputError, match="could not be decoded"):
            decode_image(buf.tobytes()[:cut])
    assert capfd.readouterr().err == ""


def test_16bit_gray_png() -> None:
    g = np.array([[0, 257 * 50, 65535, 300]], np.uint16)
    im = Image.fromarray(g)
    assert im.mode == "I;16"
    out = decode_image(save(im, "PNG"))
    assert out.shape == (1, 4, 3)
    assert np.array_equal(out[0, :, 0], [0, 50, 255, 1])
    assert (out[..., 0] == out[..., 2]).all()


def test_float_tiff_zero_to_one() -> None:
    f = np.array([[0.0, 0.5, 1.0]], np.float32)
    out = decode_image(save(Image.fromarray(f, "F"), "TIFF"))
    assert np.array_equal(out[0, :, 1], [0, 128, 255])


def test_grayscale_and_gray_alpha() -> None:
    g = photo()[..., 0]
    out = decode_image(save(Image.fromarray(g, "L"), "PNG"))
    assert out.shape == (*g.shape, 3)
    assert all(np.array_equal(out[..., c], g) for c in range(3))
    la = Image.fromarray(np.dstack([g, np.full_like(g, 200)]), "LA")
    out = decode_image(save(la, "PNG"))
    assert out.shape == (*g.shape, 4)
    assert (out[..., 3] == 200).all() and np.array_equal(out[..., 1], g)


def test_palette_with_and_without_transparency() -> None:
    p = Image.new("P", (8, 4), 1)
    p.putpalette([10, 20, 30, 200, 100, 50] + [0] * 762)
    p.paste(0, (0, 0, 4, 4))
    opaque = decode_image(save(p, "PNG"))
    assert opaque.shape == (4, 8, 3)
    assert (opaque[:, :4] == [10, 20, 30]).all() and (opaque[:, 4:] == [200, 100, 50]).all()
    clear = decode_image(save(p, "PNG", transparency=0))
    assert clear.shape == (4, 8, 4)
    assert (clear[:, :4, 3] == 0).all() and (clear[:, 4:] == [200, 100, 50, 255]).all()


def test_rgb_colour_key_transparency() -> None:
    a = photo()
    a[0, 0] = (1, 2, 3)
    out = decode_image(save(Image.fromarray(a), "PNG", transparency=(1, 2, 3)))
    assert out.shape[2] == 4 and out[0, 0, 3] == 0 and out[1, 1, 3] == 255


def test_cmyk_jpeg_adobe_inverted() -> None:
    rgb = np.zeros((16, 32, 3), np.uint8)
    rgb[:, :16] = (200, 40, 30)
    rgb[:, 16:] = (20, 90, 220)
    data = save(Image.fromarray(rgb).convert("CMYK"), "JPEG", quality=95)
    im = Image.open(io.BytesIO(data))
    assert im.mode == "CMYK" and "adobe" in im.info  # Pillow writes Adobe (inverted) CMYK
    out = decode_image(data)
    assert out.shape == (16, 32, 3)
    assert np.abs(out[4:12, 4:12].astype(int) - (200, 40, 30)).max() <= 6
    assert np.abs(out[4:12, 20:28].astype(int) - (20, 90, 220)).max() <= 6


# --------------------------------------------------------------------------- decode: EXIF and ICC


def test_exif_orientation_6_jpeg_is_rotated() -> None:
    stored = np.zeros((40, 60, 3), np.uint8)  # stored landscape, displayed portrait
    stored[:8, :8] = (255, 0, 0)  # marker in the stored top-left corner
    exif = Image.Exif()
    exif[0x0112] = 6
    out = decode_image(save(Image.fromarray(stored), "JPEG", quality=95, exif=exif))
    assert out.shape == (60, 40, 3)
    # orientation 6 = rotate 90 degrees clockwise: the stored top-left lands top-right
    assert out[2, 37, 0] > 200 and out[2, 37, 2] < 60
    assert out[2, 2, 0] < 60


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_matches_pillow(orientation: int) -> None:
    a = RNG.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = save(Image.fromarray(a), "PNG", exif=exif)
    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"))
    assert np.array_equal(decode_image(data), expected)


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])  # PNG: OpenCV path; TIFF: Pillow path
def test_icc_profile_is_converted_to_srgb(fmt: str) -> None:
    icc = linear_rgb_icc()
    ImageCms.ImageCmsProfile(io.BytesIO(icc))  # the hand-built profile is valid for LittleCMS
    a = np.full((4, 4, 3), 128, np.uint8)
    out = decode_image(save(Image.fromarray(a), fmt, icc_profile=icc))
    # linear 128/255 in sRGB encoding: 1.055 * 0.502 ** (1 / 2.4) - 0.055 = 0.737 -> 188
    assert np.abs(out.astype(int) - 188).max() <= 2


EVAL_PHOTO = Path(__file__).resolve().parents[2] / "shared" / "eval" / "photos" / "chelsea.png"


@pytest.mark.skipif(not EVAL_PHOTO.is_file(), reason="needs the eval photo (libpng warns on its ICC)")
def test_png_with_profile_libpng_dislikes_decodes_quietly(capfd: pytest.CaptureFixture[str]) -> None:
    icc = Image.open(EVAL_PHOTO).info["icc_profile"]
    a = photo()
    out = decode_image(save(Image.fromarray(a), "PNG", icc_profile=icc))
    assert np.array_equal(out, a)  # an sRGB profile: pixels unchanged
    assert capfd.readouterr().err == ""  # OpenCV's libpng would print "iCCP: known incorrect sRGB profile"


@pytest.mark.parametrize("icc", [b"not a profile at all", "lab", "srgb"])
def test_broken_mismatched_or_srgb_profile_leaves_pixels(icc: bytes | str) -> None:
    if icc == "lab":
        icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    elif icc == "srgb":
        icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    a = photo()
    assert np.array_equal(decode_image(save(Image.fromarray(a), "PNG", icc_profile=icc)), a)


# --------------------------------------------------------------------------- decode: limits and errors


def test_decompression_bomb_fails_fast_with_size_and_limit() -> None:
    data = png_header_only(20000, 20000)
    start = time.perf_counter()
    with pytest.raises(ImageTooLargeError) as info:
        decode_image(data, what="image 1")
    assert time.perf_counter() - start < 1.0
    msg = info.value.message
    assert "image 1" in msg and "20000x20000" in msg and "64,000,000" in msg and "RETOUCH_MAX_PIXELS" in msg
    assert isinstance(info.value, InputError) and info.value.code == "image_too_large"


def test_pixel_limit_from_env_and_argument(monkeypatch: pytest.MonkeyPatch) -> None:
    data = save(Image.fromarray(photo(20, 30)), "PNG")
    with pytest.raises(ImageTooLargeError, match="30x20"):
        decode_image(data, max_pixels=599)
    assert decode_image(data, max_pixels=600).shape == (20, 30, 3)
    monkeypatch.setenv("RETOUCH_MAX_PIXELS", "500")
    with pytest.raises(ImageTooLargeError, match="limit of 500 pixels"):
        decode_image(data)
    monkeypatch.setenv("RETOUCH_MAX_PIXELS", "lots")
    with pytest.raises(OptionError, match="RETOUCH_MAX_PIXELS"):
        decode_image(data)


def test_bomb_below_pillows_own_guard_is_ours() -> None:
    with pytest.raises(ImageTooLargeError, match="9000x8000"):
        decode_image(png_header_only(9000, 8000))  # 72 MP: over our 64 MP, under Pillow's 89 MP


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF", "TIFF"])
def test_truncated_files_fail_with_one_clear_line(fmt: str, capfd: pytest.CaptureFixture[str]) -> None:
    data = save(Image.fromarray(RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8)), fmt)
    with pytest.raises(InputError) as info:
        decode_image(data[: len(data) // 3], what="image 2")
    msg = info.value.message
    assert msg.startswith("image 2 could not be decoded: file is") and "\n" not in msg
    assert "truncated" in msg
    assert capfd.readouterr().err == ""  # no codec chatter on stderr (the CLI prints one line)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "image is empty"),
        (b"this is plainly not an image\n", "not a recognised image format"),
        (b"%PDF-1.7\n...", "PDF format, which is not supported"),
        (b"\x00\x00\x00\x1cftypheic" + b"\0" * 32, "HEIC format"),
        (b"\x89PNG\r\n\x1a\n\0\0", "file is truncated or corrupt"),
    ],
)
def test_non_images_fail_with_input_error(data: bytes, expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        decode_image(data)


def test_corrupt_pixel_data_is_input_error() -> None:
    data = bytearray(save(Image.fromarray(photo(64, 64)), "PNG", compress_level=1))
    idat = data.index(b"IDAT")
    data[idat + 10 : idat + 60] = b"\xff" * 50
    with pytest.raises(InputError, match="could not be decoded"):
        decode_image(bytes(data))


def test_read_input_paths(tmp_path) -> None:
    p = tmp_path / "a.png"
    p.write_bytes(b"abc")
    assert read_input(p) == b"abc" and read_input(str(p)) == b"abc" and read_input(b"xyz") == b"xyz"
    with pytest.raises(InputError, match=r"image file not found: .*missing\.png"):
        read_input(tmp_path / "missing.png")
    with pytest.raises(InputError, match="directory"):
        read_input(tmp_path)
    with pytest.raises(MaskError, match="mask file not found"):
        read_input(tmp_path / "m.png", what="mask")
    assert read_input(to_data_url(b"\x89PNG", "png")) == b"\x89PNG"


# --------------------------------------------------------------------------- masks


def test_rgba_mask_alpha_zero_is_edit_and_feathered() -> None:
    rgba = np.full((4, 6, 4), 255, np.uint8)
    rgba[:, :2, 3] = 0
    rgba[:, 2, 3] = 128
    m = load_mask(save(Image.fromarray(rgba), "PNG"), (6, 4))
    assert m.dtype == np.float32 and m.shape == (4, 6)
    assert (m[:, :2] == 1).all() and (m[:, 3:] == 0).all()
    assert np.allclose(m[:, 2], 1 - 128 / 255)


def test_gray_and_rgb_masks_white_is_edit() -> None:
    g = np.zeros((4, 6), np.uint8)
    g[:, 3:] = 255
    g[:, 2] = 51
    m = load_mask(save(Image.fromarray(g, "L"), "PNG"), (6, 4))
    assert (m[:, 3:] == 1).all() and (m[:, :2] == 0).all() and np.allclose(m[:, 2], 0.2)
    rgb = np.dstack([g] * 3)
    assert np.allclose(load_mask(save(Image.fromarray(rgb), "PNG"), (6, 4)), m)


def test_opaque_rgba_mask_falls_back_to_white_is_edit() -> None:
    rgba = np.zeros((4, 6, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[:, 4:, :3] = 255
    m = load_mask(save(Image.fromarray(rgba), "PNG"), (6, 4))
    assert (m[:, 4:] == 1).all() and (m[:, :4] == 0).all()


def test_la_and_palette_masks_use_transparency() -> None:
    la = np.zeros((4, 6, 2), np.uint8)
    la[..., 1] = 255
    la[:, 5, 1] = 0
    m = load_mask(save(Image.fromarray(la, "LA"), "PNG"), (6, 4))
    assert (m[:, 5] == 1).all() and m[:, :5].max() == 0
    p = Image.new("P", (6, 4), 1)
    p.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    p.paste(0, (0, 0, 1, 4))
    m = load_mask(save(p, "PNG", transparency=0), (6, 4))
    assert (m[:, 0] == 1).all() and m[:, 1:].max() == 0


def test_16bit_gray_mask() -> None:
    g = np.zeros((4, 6), np.uint16)
    g[:, :3] = 65535
    m = load_mask(save(Image.fromarray(g), "PNG"), (6, 4))
    assert (m[:, :3] == 1).all() and m[:, 3:].max() == 0


def test_mask_wrong_size_message_names_both_sizes() -> None:
    data = save(Image.new("RGBA", (487, 451)), "PNG")
    with pytest.raises(MaskError) as info:
        load_mask(data, (451, 451))
    assert info.value.message == (
        "mask is 487x451 but the image is 451x451; the mask must match the first image's size"
    )
    assert info.value.param == "mask"


def test_mask_exif_orientation_applied() -> None:
    stored = np.zeros((4, 6), np.uint8)  # stored 6x4, displayed 4x6
    stored[0, :2] = 255
    exif = Image.Exif()
    exif[0x0112] = 6
    m = load_mask(save(Image.fromarray(stored, "L"), "PNG", exif=exif), (4, 6))
    assert m.shape == (6, 4)
    assert m[0, 3] == 1 and m[1, 3] == 1 and m.sum() == 2


def test_empty_and_corrupt_masks() -> None:
    with pytest.raises(MaskError, match="selects no pixels"):
        load_mask(save(Image.new("L", (6, 4), 0), "PNG"), (6, 4))
    with pytest.raises(MaskError, match="selects no pixels"):
        load_mask(save(Image.new("RGBA", (6, 4), (0, 0, 0, 255)), "PNG"), (6, 4))
    data = save(Image.fromarray(RNG.integers(0, 256, (40, 60), dtype=np.uint8), "L"), "PNG")
    with pytest.raises(MaskError, match="mask could not be decoded: file is truncated"):
        load_mask(data[: len(data) // 2], (60, 40))
    with pytest.raises(MaskError, match="mask could not be decoded"):
        load_mask(b"nope", (60, 40))


# --------------------------------------------------------------------------- encode


@pytest.mark.parametrize("quality", ["low", "medium", "high", "auto"])
@pytest.mark.parametrize("channels", [3, 4])
def test_png_is_lossless_with_alpha(quality: str, channels: int) -> None:
    a = RNG.integers(0, 256, (33, 45, channels), dtype=np.uint8)
    im = Image.open(io.BytesIO(encode_image(a, "png", quality=quality)))
    assert im.format == "PNG" and im.mode == ("RGBA" if channels == 4 else "RGB")
    assert np.array_equal(np.asarray(im), a)


@pytest.mark.parametrize("compression", [0, 1, 40, 100])
def test_png_compression_levels_are_lossless(compression: int) -> None:
    a = photo(70, 90)
    data = encode_image(a, "png", compression=compression)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), a)


def test_png_many_strips_on_threads_is_exact_and_readable_by_opencv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETOUCH_THREADS", "3")
    a = RNG.integers(0, 256, (1000, 700, 3), dtype=np.uint8)  # 2.1 MB: three strips
    data = encode_image(a, "png", quality="high")
    assert data.count(b"IDAT") >= 3
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), a)
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(bgr[..., ::-1], a)


def _encode_in_child(queue: multiprocessing.queues.Queue) -> None:
    a = np.full((1000, 700, 3), 9, np.uint8)
    queue.put(np.array_equal(np.asarray(Image.open(io.BytesIO(encode_image(a, "png")))), a))


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_png_encoder_works_in_a_forked_child(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETOUCH_THREADS", "2")
    encode_image(np.zeros((1000, 700, 3), np.uint8), "png")  # the parent's pool now exists
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_encode_in_child, args=(queue,))
    child.start()
    child.join(timeout=30)
    if child.is_alive():
        child.kill()
        pytest.fail("the encoder hung in a forked child (inherited thread pool)")
    assert queue.get(timeout=5) is True


def test_png_grayscale_array() -> None:
    g = photo()[..., 1]
    im = Image.open(io.BytesIO(encode_image(g, "png")))
    assert im.mode == "L" and np.array_equal(np.asarray(im), g)


def test_adler32_combine_matches_zlib() -> None:
    a, b = RNG.bytes(70001), RNG.bytes(123457)
    assert adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b)) == zlib.adler32(a + b)
    assert adler32_combine(1, zlib.adler32(b), len(b)) == zlib.adler32(b)


def test_jpeg_mode_values_and_compression_is_monotonic() -> None:
    a = photo(96, 128)
    sizes = []
    for c in (100, 80, 50, 20, 5):          # OpenAI's output_compression: 100 = best quality
        data = encode_image(a, "jpeg", compression=c)
        im = Image.open(io.BytesIO(data))
        assert im.format == "JPEG" and im.mode == "RGB" and im.size == (128, 96)
        sizes.append(len(data))
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > 2 * sizes[-1]
    out = np.asarray(Image.open(io.BytesIO(encode_image(a, "jpg"))))
    assert np.abs(out.astype(int) - a).mean() < 3


def test_jpeg_quality_mapping() -> None:
    assert (jpeg_quality(None), jpeg_quality(0), jpeg_quality(30), jpeg_quality(100)) == (90, 1, 30, 100)


def test_jpeg_flattens_alpha_on_white() -> None:
    a = np.zeros((16, 16, 4), np.uint8)
    a[..., 0] = 255
    a[:, :8, 3] = 0  # transparent left half
    a[:, 8:, 3] = 255
    out = np.asarray(Image.open(io.BytesIO(encode_image(a, "jpeg", quality="high"))))
    assert out.shape == (16, 16, 3)
    assert (out[:, :6] > 245).all()  # white where transparent
    assert (out[:, 10:, 0] > 245).all() and (out[:, 10:, 1:] < 10).all()  # red where opaque


def test_webp_lossy_lossless_alpha_and_monotonic() -> None:
    a = photo(64, 80, channels=4)
    a[:16, :16, 3] = 0
    a[16:32, :16, 3] = 100
    lossless = Image.open(io.BytesIO(encode_image(a, "webp", compression=100)))
    assert lossless.format == "WEBP" and lossless.mode == "RGBA"
    assert np.array_equal(np.asarray(lossless), a)
    lossy = np.asarray(Image.open(io.BytesIO(encode_image(a, "webp"))))
    assert lossy.shape == a.shape and (lossy[:16, :16, 3] == 0).all()
    assert np.abs(lossy[16:32, :16, 3].astype(int) - 100).max() <= 2
    rgb = Image.open(io.BytesIO(encode_image(a[..., :3].copy(), "webp")))
    assert rgb.mode == "RGB"
    sizes = [len(encode_image(photo(96, 128), "webp", compression=c)) for c in (90, 40, 5)]
    assert sizes == sorted(sizes, reverse=True)


def test_encode_rejects_bad_options() -> None:
    a = photo()
    with pytest.raises(OptionError) as info:
        encode_image(a, "gif")
    assert info.value.param == "output_format"
    for bad in (-1, 101, 2.5, True):
        with pytest.raises(OptionError):
            encode_image(a, "jpeg", compression=bad)  # type: ignore[arg-type]
    with pytest.raises(OptionError):
        encode_image(a, "png", quality="ultra")
    with pytest.raises(ValueError):
        encode_image(a.astype(np.float32), "png")


# --------------------------------------------------------------------------- sizes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("auto", None),
        (" AUTO ", None),
        ("1024x768", (1024, 768)),
        ("1024 X 768", (1024, 768)),
        ("1024×768", (1024, 768)),
        ("16x8192", (16, 8192)),
        ("1:1", (1024, 1024)),
        ("2:3", (1024, 1536)),
        ("3:2", (1536, 1024)),
        ("16:9", (1360, 768)),
        ("9:16", (768, 1360)),
        ("4:3", (1184, 880)),
    ],
)
def test_parse_size(text: str, expected: tuple[int, int] | None) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "big", "1024", "0x100", "15x100", "9000x100", "1:0", "200:1", "-5x10"])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(OptionError) as info:
        parse_size(text)
    assert info.value.param == "size"


@pytest.mark.parametrize("quality", ["low", "medium", "high"])
@pytest.mark.parametrize(("w", "h"), [(50, 50), (120, 30), (30, 120), (400, 300), (17, 16)])
def test_fit_to_size_exact_output(w: int, h: int, quality: str) -> None:
    for channels in (3, 4):
        out = fit_to_size(photo(90, 160, channels), w, h, quality=quality)
        assert out.shape == (h, w, channels) and out.dtype == np.uint8


def test_fit_to_size_crops_around_center() -> None:
    a = np.zeros((100, 300, 3), np.uint8)
    a[:, :100] = (255, 0, 0)  # red left third, green middle, blue right third
    a[:, 100:200] = (0, 255, 0)
    a[:, 200:] = (0, 0, 255)
    middle = fit_to_size(a, 50, 50)
    assert (middle[..., 1] == 255).all()  # default: the centre square is all green
    left = fit_to_size(a, 50, 50, center=(0.0, 0.5))
    assert (left[..., 0] == 255).all()  # clamped inside: the leftmost square, all red
    right = fit_to_size(a, 100, 100, center=(0.9, 0.5))
    assert (right[..., 2] == 255).all()
    same = fit_to_size(a, 100, 100, center=(1 / 6, 0.5))
    assert np.array_equal(same, a[:, :100])  # no resampling when the crop is already the size


def test_resample_rgba_does_not_bleed_transparent_colour() -> None:
    a = np.zeros((20, 20, 4), np.uint8)
    a[:, :10] = (255, 0, 0, 0)  # invisible red
    a[:, 10:] = (0, 0, 255, 255)  # opaque blue
    for w, h in ((7, 7), (53, 53)):
        out = resample(a, w, h, "high")
        visible = out[..., 3] > 0
        assert visible.any() and out[visible][:, 0].max() <= 1


def test_resample_float_stays_in_range() -> None:
    f = np.zeros((8, 8, 3), np.float32)
    f[::2, ::2] = 1.0
    out = resample(f, 31, 29, "high")
    assert out.dtype == np.float32 and out.shape == (29, 31, 3)
    assert out.min() >= 0.0 and out.max() <= 1.0


# --------------------------------------------------------------------------- base64, data URLs, sniffing


def test_data_url_round_trip() -> None:
    data = encode_image(photo(), "png")
    url = to_data_url(data, "png")
    assert url.startswith("data:image/png;base64,")
    assert parse_data_url(url) == (data, "image/png")
    assert to_data_url(b"x", "jpg").startswith("data:image/jpeg;base64,")
    assert parse_data_url("data:text/plain,hi%20there") == (b"hi there", "text/plain")


def test_base64_is_tolerant() -> None:
    data = bytes(range(256)) * 3 + b"ab"
    text = to_base64(data)
    assert from_base64(text) == data
    wrapped = "\n".join(text[i : i + 76] for i in range(0, len(text), 76)).rstrip("=")
    assert from_base64(wrapped + "\n") == data
    assert from_base64(base64.urlsafe_b64encode(data).decode()) == data
    assert from_base64(to_data_url(data, "png")) == data


@pytest.mark.parametrize("garbage", ["not base64 at all!", "abcde", "ab$d"])
def test_base64_garbage_is_input_error(garbage: str) -> None:
    with pytest.raises(InputError, match="base64"):
        from_base64(garbage)


def test_parse_data_url_rejects_other_urls() -> None:
    with pytest.raises(InputError, match="not a data URL"):
        parse_data_url("https://example.com/a.png")


def test_sniff_format() -> None:
    im = Image.fromarray(photo(8, 8))
    for fmt, name in (("PNG", "png"), ("JPEG", "jpeg"), ("WEBP", "webp"), ("GIF", "gif"), ("TIFF", "tiff")):
        assert sniff_format(save(im, fmt)) == name
    assert sniff_format(save(im, "BMP")) == "bmp"
    assert sniff_format(b"hello world") is None
    assert sniff_format(b"<?xml version='1.0'?><svg xmlns='x'/>") == "svg"
