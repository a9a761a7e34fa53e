"""Image I/O: decode inputs and masks, encode outputs, sizes and resampling, base64 and data URLs."""

from __future__ import annotations

from .convert import to_float, to_uint8
from .dataurl import from_base64, parse_data_url, sniff_format, to_base64, to_data_url
from .decode import decode_image, read_input
from .encode import encode_image
from .limits import max_pixels
from .masks import load_mask
from .sizes import fit_to_size, parse_size, resample

__all__ = [
    "decode_image",
    "encode_image",
    "fit_to_size",
    "from_base64",
    "load_mask",
    "max_pixels",
    "parse_data_url",
    "parse_size",
    "read_input",
    "resample",
    "sniff_format",
    "to_base64",
    "to_data_url",
    "to_float",
    "to_uint8",
]
