"""Token accounting in the shape of OpenAI's Images API (input image/text tokens, output tokens)."""

from __future__ import annotations

import math

from .schema import Usage

#: Output image tokens of GPT Image for its native sizes (the reference price table).
OUTPUT_TOKENS = {
    (1024, 1024): {"low": 272, "medium": 1056, "high": 4160},
    (1024, 1536): {"low": 408, "medium": 1584, "high": 6240},
    (1536, 1024): {"low": 400, "medium": 1568, "high": 6208},
}


def output_image_tokens(width: int, height: int, quality: str) -> int:
    """Output tokens for one image: the table for native sizes, else scaled by area from 1024²."""
    q = "medium" if quality == "auto" else quality
    if (width, height) in OUTPUT_TOKENS:
        return OUTPUT_TOKENS[(width, height)][q]
    return max(1, round(OUTPUT_TOKENS[(1024, 1024)][q] * (width * height) / (1024 * 1024)))


def input_image_tokens(width: int, height: int) -> int:
    """Input tokens for an image: 65 base plus 129 per 512² tile after fitting into 2048 and 768 short side."""
    scale = min(1.0, 2048 / max(width, height))
    w, h = width * scale, height * scale
    scale = min(1.0, 768 / min(w, h))
    w, h = w * scale, h * scale
    return 65 + 129 * math.ceil(w / 512) * math.ceil(h / 512)


def text_tokens(prompt: str) -> int:
    """A tokenizer-free estimate: about four characters a token."""
    return max(1, math.ceil(len(prompt) / 4)) if prompt else 0


def estimate_usage(
    input_sizes: list[tuple[int, int]], prompt: str, output_size: tuple[int, int], quality: str, n: int = 1
) -> Usage:
    """Usage for an edit of these inputs into n outputs of output_size."""
    img = sum(input_image_tokens(w, h) for w, h in input_sizes)
    txt = text_tokens(prompt)
    out = n * output_image_tokens(output_size[0], output_size[1], quality)
    return Usage(input_tokens=img + txt, input_image_tokens=img, input_text_tokens=txt, output_tokens=out)
