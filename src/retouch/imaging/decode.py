"""Decode input files into uint8 RGB/RGBA arrays: every common format and mode, EXIF orientation,
ICC to sRGB, and a pixel limit checked from the header before anything is decoded.

Pillow reads the header (cheap: format, mode, size, EXIF, ICC). Complete 8-bit RGB/RGBA PNG and
WebP files and 16-bit RGB/RGBA PNG/TIFF files are then decoded by OpenCV, which is as fast or
faster, needs a third of Pillow's peak memory (Pillow holds RGB as 4 bytes a pixel and
`np.asarray` copies it) and, unlike Pillow, keeps all 16 bits so they can be rounded properly.
Everything else (palettes, grayscale, CMYK, GIF, BMP, JPEG, odd modes) goes through Pillow.
"""

from __future__ import annotations

import io
import os
import re
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageCms, UnidentifiedImageError

from ..errors import ImageTooLargeError, InputError, MaskError, RetouchError
from . import limits
from .dataurl import parse_data_url, sniff_format

#: Input formats retouch decodes (Pillow plugin ids; camera MPO files arrive through JPEG).
PIL_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "TIFF", "BMP")
SUPPORTED_NAMES = "PNG, JPEG, WebP, GIF, TIFF or BMP"
_SUPPORTED_SNIFFED = {"png", "jpeg", "webp", "gif", "tiff", "bmp"}
_ORIENTATION_TAG = 0x0112
_PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_PIL_BOMB_PIXELS = re.compile(r"\((\d+) pixels\)")
_SIXTEEN_BIT_GRAY = {"I;16", "I;16B", "I;16L", "I;16N"}
# Chunks libpng validates and warns about on stderr (e.g. "iCCP: known incorrect sRGB profile").
_PNG_CHATTY_CHUNKS = {b"iCCP", b"gAMA", b"cHRM", b"sBIT", b"tRNS", b"hIST", b"sPLT"}


PathOrBytes = str | os.PathLike[str] | bytes | bytearray | memoryview


def read_input(path_or_bytes: PathOrBytes, *, what: str = "image") -> bytes:
    """Bytes of an input given as bytes, a file path or a data URL; clear errors for bad paths."""
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        return bytes(path_or_bytes)
    if isinstance(path_or_bytes, str) and path_or_bytes[:5].lower() == "data:":
        return parse_data_url(path_or_bytes, what=what)[0]
    error = _error_class(what)
    path = os.fspath(path_or_bytes)
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise error(f"{what} file not found: {path}") from None
    except IsADirectoryError:
        raise error(f"{what} path is a directory, not a file: {path}") from None
    except PermissionError:
        raise error(f"cannot read {what} file {path}: permission denied") from None
    except OSError as exc:
        raise error(f"cannot read {what} file {path}: {exc.strerror or exc}") from None


def decode_image(data: bytes, *, max_pixels: int | None = None, what: str = "image") -> np.ndarray:
    """Decode an image file to uint8 HxWx3 RGB, or HxWx4 RGBA when it has real transparency.

    EXIF orientation is applied, an embedded ICC profile is converted to sRGB (a broken one is
    ignored), and 16-bit samples are rounded to 8 bits. An alpha channel that is fully opaque is
    dropped. Raises ImageTooLargeError before decoding when the declared size exceeds
    `max_pixels` (default: limits.max_pixels()), InputError for anything unreadable.
    """
    limit = limits.max_pixels() if max_pixels is None else max_pixels
    data = data if isinstance(data, bytes) else bytes(data)  # bytearray/memoryview from web frameworks
    im = open_image(data, what=what, limit=limit)
    try:
        with quiet_codecs():
            orientation = exif_orientation(im)
            arr = _cv2_pixels(im, data)
            if arr is None:
                arr = _pillow_pixels(im)
            elif im.info.get("icc_profile"):
                arr = _icc_array_to_srgb(arr, im.info["icc_profile"])
        arr = apply_orientation(arr, orientation)
        return drop_opaque_alpha(arr)
    except RetouchError:
        raise
    except Exception as exc:  # never let a codec's exception escape: it becomes one clear line
        raise decode_error(exc, what, data) from exc


def open_image(data: bytes, *, what: str = "image", limit: int | None = None) -> Image.Image:
    """Open `data` with Pillow (header only) and check the declared size against `limit`."""
    error = _error_class(what)
    if not data:
        raise error(f"{what} is empty (0 bytes)")
    data = data if isinstance(data, bytes) else bytes(data)
    sniffed = sniff_format(data)
    if sniffed is not None and sniffed not in _SUPPORTED_SNIFFED:
        raise error(f"{what} is in {sniffed.upper()} format, which is not supported; use {SUPPORTED_NAMES}")
    _let_pillow_allow(limit)
    try:
        with quiet_codecs():  # also Pillow's bomb warning: our own limit is enforced just below
            im = Image.open(io.BytesIO(data), formats=PIL_FORMATS)
    except Image.DecompressionBombError as exc:
        raise _too_large(data, exc, what, limit) from None
    except UnidentifiedImageError:
        reason = "file is truncated or corrupt" if sniffed else "not a recognised image format"
        reason += "" if sniffed else f" ({SUPPORTED_NAMES})"
        raise error(f"{what} could not be decoded: {reason}") from None
    except Exception as exc:
        raise decode_error(exc, what, data) from exc
    if limit is not None and im.width * im.height > limit:
        message = limits.too_large_message(what, im.width, im.height, im.width * im.height, limit)
        raise (MaskError if error is MaskError else ImageTooLargeError)(message)
    return im


@contextmanager
def quiet_codecs() -> Iterator[None]:
    """Silence codec warnings (corrupt EXIF, truncated reads): the outcome is pixels or one clear error."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def decode_error(exc: BaseException, what: str, data: bytes | None = None) -> RetouchError:
    """One clear line for a codec failure: truncated, corrupt (with the codec's reason) or memory."""
    error = _error_class(what)
    text = " ".join(str(exc).split())
    if isinstance(exc, MemoryError):
        return error(f"{what} could not be decoded: not enough memory")
    if isinstance(exc, EOFError) or "truncat" in text.lower() or (data is not None and looks_truncated(data)):
        return error(f"{what} could not be decoded: file is truncated")
    text = re.sub(r"<[^>]*object at 0x[0-9a-f]+>", "the data", text)  # Pillow quotes object reprs
    return error(f"{what} could not be decoded: file is corrupt ({text or type(exc).__name__})")


def looks_truncated(data: bytes) -> bool:
    """True when the container's end marker (or declared length) is missing: PNG, WebP, JPEG, GIF."""
    kind = sniff_format(data)
    if kind == "png":
        return _PNG_IEND not in data[-64:]
    if kind == "webp":
        return len(data) < 8 + int.from_bytes(data[4:8], "little")
    if kind == "jpeg":
        return b"\xff\xd9" not in data[-64:]
    if kind == "gif":
        return not data.rstrip(b"\0").endswith(b";")
    return False


def exif_orientation(im: Image.Image) -> int:
    """EXIF (or XMP) orientation 1-8 from the header; 1 when absent or unreadable."""
    try:
        # The base-class method reads only what the header gave; PngImageFile.getexif would
        # decode the whole image to look for an eXIf chunk after the pixel data.
        value = Image.Image.getexif(im).get(_ORIENTATION_TAG, 1)
    except Exception:
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def oriented_size(im: Image.Image, orientation: int) -> tuple[int, int]:
    """(width, height) the image will have once `orientation` is applied."""
    return (im.height, im.width) if orientation >= 5 else (im.width, im.height)


def apply_orientation(arr: np.ndarray, orientation: int) -> np.ndarray:
    """Turn stored pixels into displayed pixels for EXIF orientation 1-8 (as ImageOps.exif_transpose)."""
    if orientation == 2:
        return cv2.flip(arr, 1)
    if orientation == 3:
        return cv2.flip(arr, -1)
    if orientation == 4:
        return cv2.flip(arr, 0)
    if orientation == 5:
        return cv2.transpose(arr)
    if orientation == 6:
        return cv2.rotate(arr, cv2.ROTATE_90_CLOCKWISE)
    if orientation == 7:
        return cv2.flip(cv2.transpose(arr), -1)
    if orientation == 8:
        return cv2.rotate(arr, cv2.ROTATE_90_COUNTERCLOCKWISE)
    return arr


def drop_opaque_alpha(arr: np.ndarray) -> np.ndarray:
    """RGB when an RGBA array is fully opaque: ops run on 3 channels and outputs stay small."""
    if arr.ndim == 3 and arr.shape[2] == 4 and int(arr[..., 3].min()) == 255:
        return cv2.cvtColor(arr, cv2.COLOR_RGBA2RGB)
    return arr


def gray_to_uint8(a: np.ndarray, mode: str) -> np.ndarray:
    """8-bit gray from Pillow's high-depth gray modes (I;16*, I = 16-bit range, F = 0-1 or 0-255)."""
    if mode in _SIXTEEN_BIT_GRAY:
        return cv2.convertScaleAbs(a.astype(np.uint16, copy=False), alpha=1 / 257)
    if mode == "F":
        f = np.nan_to_num(a.astype(np.float32, copy=False))
        scale = 255.0 if f.size and float(f.max()) <= 1.0 else 1.0  # float images are usually 0-1
        return np.clip(f * scale + 0.5, 0, 255).astype(np.uint8)
    # "I": 32-bit integers; PNG/TIFF 16-bit data arrives this way in some Pillow versions.
    return ((np.clip(a, 0, 65535).astype(np.uint32) + 128) // 257).astype(np.uint8)


# --------------------------------------------------------------------------- internals


def _error_class(what: str) -> type[InputError] | type[MaskError]:
    """MaskError for the mask, InputError for images."""
    return MaskError if what.strip().lower().startswith("mask") else InputError


def _let_pillow_allow(limit: int | None) -> None:
    """Raise Pillow's own bomb threshold to our limit when configured higher (never lowers it)."""
    if limit is not None and Image.MAX_IMAGE_PIXELS is not None and limit > Image.MAX_IMAGE_PIXELS:
        Image.MAX_IMAGE_PIXELS = limit


def _too_large(data: bytes, exc: Exception, what: str, limit: int | None) -> RetouchError:
    """ImageTooLargeError (MaskError for a mask) for an image Pillow refused as a bomb."""
    size = _peek_size(data)
    m = _PIL_BOMB_PIXELS.search(str(exc))
    pixels = size[0] * size[1] if size else int(m[1]) if m else 0
    limit = limits.max_pixels() if limit is None else limit
    message = limits.too_large_message(what, *(size or (None, None)), pixels, limit)
    return MaskError(message) if _error_class(what) is MaskError else ImageTooLargeError(message)


def _peek_size(data: bytes) -> tuple[int, int] | None:
    """Declared (width, height) from fixed header offsets of PNG, GIF, BMP and WebP (VP8X)."""
    kind = sniff_format(data)
    try:
        if kind == "png":
            return struct.unpack(">II", data[16:24])
        if kind == "gif":
            return struct.unpack("<HH", data[6:10])
        if kind == "bmp":
            w, h = struct.unpack("<ii", data[18:26])
            return abs(w), abs(h)
        if kind == "webp" and data[12:16] == b"VP8X":
            w, h = int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
            return w, h
    except struct.error:
        return None
    return None


def _rawmode(im: Image.Image) -> str:
    """Pillow's raw mode of the first tile ("RGB;16B" reveals 16-bit samples behind mode RGB)."""
    try:
        args: Any = im.tile[0].args if hasattr(im.tile[0], "args") else im.tile[0][3]
    except (IndexError, AttributeError, TypeError):
        return ""
    return args if isinstance(args, str) else str(args[0]) if isinstance(args, tuple) and args else ""


def _png_is_plain(data: bytes) -> bool:
    """True when no chunk before the pixel data is one libpng would validate and complain about."""
    pos = 8
    while pos + 8 <= len(data):
        length, tag = struct.unpack_from(">I4s", data, pos)
        if tag == b"IDAT":
            return True
        if tag in _PNG_CHATTY_CHUNKS:
            return False
        pos += 12 + length
    return False


def _complete(data: bytes, fmt: str | None) -> bool:
    """True when OpenCV can decode without printing to stderr (complete, no chunks libpng warns on)."""
    if fmt == "PNG":
        return data.endswith(_PNG_IEND) and _png_is_plain(data)
    if fmt == "WEBP":
        return len(data) >= 8 + int.from_bytes(data[4:8], "little")
    return fmt == "TIFF"


def _cv2_pixels(im: Image.Image, data: bytes) -> np.ndarray | None:
    """Decode plain RGB/RGBA PNG, WebP and 16-bit PNG/TIFF with OpenCV; None when it does not apply."""
    if im.mode not in ("RGB", "RGBA") or "transparency" in im.info:
        return None
    sixteen = ";16" in _rawmode(im)
    if not (im.format in ("PNG", "WEBP") or (im.format == "TIFF" and sixteen)):
        return None
    if im.format != "TIFF" and getattr(im, "n_frames", 1) > 1:
        return None  # animated: Pillow picks the first frame the way viewers do
    if not _complete(data, im.format):
        return None
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    channels = 4 if im.mode == "RGBA" else 3
    if arr is None or arr.shape != (im.height, im.width, channels):
        return None  # Pillow will decode it, or say precisely why it cannot
    if arr.dtype == np.uint16:
        arr = cv2.convertScaleAbs(arr, alpha=1 / 257)  # rounds x/257, i.e. x*255/65535
    elif arr.dtype != np.uint8:
        return None
    code = cv2.COLOR_BGRA2RGBA if channels == 4 else cv2.COLOR_BGR2RGB
    return cv2.cvtColor(arr, code, dst=arr)


def _pillow_pixels(im: Image.Image) -> np.ndarray:
    """Decode with Pillow and normalise any mode to RGB or RGBA (ICC applied in the native mode)."""
    mode = im.mode
    if mode in _SIXTEEN_BIT_GRAY or mode in ("I", "F"):
        return cv2.cvtColor(gray_to_uint8(np.asarray(im), mode), cv2.COLOR_GRAY2RGB)
    icc = im.info.get("icc_profile")
    if icc and mode in ("RGB", "RGBA", "CMYK", "L"):
        converted = _icc_image_to_srgb(im, icc)
        if converted is not None:
            im, mode = converted, converted.mode
    if mode == "LAB":
        im = ImageCms.applyTransform(im, _transform_from(None, "LAB", "RGB"))
        mode = "RGB"
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info
    target = "RGBA" if has_alpha else "RGB"
    if mode != target:
        im = im.convert(target)
    return np.asarray(im)


@lru_cache(maxsize=32)
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    """The sRGB target profile (built once)."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@lru_cache(maxsize=32)
def _transform_from(icc: bytes | None, in_mode: str, out_mode: str) -> ImageCms.ImageCmsTransform | None:
    """A cached transform from an embedded profile (None = Lab) to sRGB; None if sRGB or broken."""
    try:
        if icc is None:
            source = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB"))
        else:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if "srgb" in ImageCms.getProfileDescription(source).lower():
                return None  # already sRGB: converting would only cost time
        # NOCACHE: LittleCMS's one-pixel cache is written during transforms, so a cached
        # transform shared by threads would race without it.
        flags = ImageCms.Flags.NOCACHE
        return ImageCms.buildTransform(source, _srgb_profile(), in_mode, out_mode, flags=flags)
    except Exception:  # a broken or mismatched profile is ignored, as browsers do
        return None


def _icc_image_to_srgb(im: Image.Image, icc: bytes) -> Image.Image | None:
    """`im` converted to sRGB with its embedded profile, or None to leave it as is."""
    out_mode = "RGBA" if im.mode == "RGBA" else "RGB"
    transform = _transform_from(bytes(icc), im.mode, out_mode)
    if transform is None:
        return None
    try:
        return ImageCms.applyTransform(im, transform)
    except Exception:
        return None


def _icc_array_to_srgb(arr: np.ndarray, icc: bytes) -> np.ndarray:
    """An RGB/RGBA uint8 array converted to sRGB with `icc`; unchanged if not applicable."""
    converted = _icc_image_to_srgb(Image.fromarray(arr), icc)
    return arr if converted is None else np.asarray(converted)
