"""Pricing: GPT Image's token model (retouch.tokens) times a configurable price table."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..schema import Usage
from ..tokens import OUTPUT_TOKENS, estimate_usage
from .settings import Price, ServiceSettings


@dataclass(frozen=True)
class Quote:
    model: str
    usage: Usage
    credits: int


def credits_for(usage: Usage, price: Price) -> int:
    """Credits for a usage, rounded up to a whole credit."""
    micro = (
        usage.input_text_tokens * price.input_text
        + usage.input_image_tokens * price.input_image
        + usage.output_tokens * price.output
    )
    return math.ceil(micro / 1_000_000 - 1e-9) if micro > 0 else 0


class Pricing:
    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings

    def quote(
        self,
        model: str,
        input_sizes: list[tuple[int, int]],
        prompt: str,
        output_size: tuple[int, int],
        quality: str,
        n: int = 1,
    ) -> Quote:
        usage = estimate_usage(input_sizes, prompt, output_size, quality, n)
        return Quote(model=model, usage=usage, credits=credits_for(usage, self.settings.price(model)))

    def cost(self, model: str, usage: Usage) -> int:
        return credits_for(usage, self.settings.price(model))

    def table(self) -> dict:
        """The public price table (GET /v1/pricing)."""
        return {
            "object": "pricing",
            "unit": "credits per 1M tokens",
            "models": [
                {"model": name, "input_text": p.input_text, "input_image": p.input_image, "output": p.output}
                for name, p in sorted(self.settings.prices.items())
            ],
            "output_image_tokens": [
                {"size": f"{w}x{h}", **tokens} for (w, h), tokens in OUTPUT_TOKENS.items()
            ],
            "notes": "Other sizes scale the 1024x1024 row by area; quality auto = medium. Input images cost "
            "65 + 129 tokens per 512px tile after fitting into 2048px and a 768px short side; "
            "text costs about one token per four characters.",
        }
