"""The automatic-enhance family: vague aesthetic wishes ("make it better", "pop", "more natural") → recipes.

Each recipe is a short, documented list of steps. The word that asked for it picks the recipe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Recipe:
    """A named automatic enhancement: its steps and what it is for (for docs and explain)."""

    name: str
    meaning: str
    steps: tuple[tuple[str, dict[str, Any]], ...]
    words: tuple[str, ...] = ()


RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe(
            "enhance",
            "a general improvement: stretch the levels, a touch of vibrance",
            (("auto_levels", {"clip": 0.5}), ("vibrance", {"amount": 0.15})),
            ("enhance", "improve", "better", "fix", "touch up", "polish", "nicer", "awesome", "beautify"),
        ),
        Recipe(
            "pop",
            "more punch: contrast and vibrance",
            (("contrast", {"amount": 0.15}), ("vibrance", {"amount": 0.25})),
            ("pop", "popping", "appetizing", "striking", "stunning"),
        ),
        Recipe(
            "quality",
            "a cleaner, more professional look: levels, vibrance, a light sharpen",
            (("auto_levels", {"clip": 0.5}), ("vibrance", {"amount": 0.15}), ("sharpen", {"amount": 0.3})),
            ("quality", "professional", "pro", "presentable"),
        ),
        Recipe(
            "natural",
            "more natural colour: neutral white balance and levels, nothing added",
            (("white_balance", {}), ("auto_levels", {"clip": 0.5})),
            ("natural", "realistic", "true to life", "normal", "right"),
        ),
        Recipe(
            "clean",
            "cleaner: levels and light noise reduction",
            (("auto_levels", {"clip": 0.5}), ("denoise", {"amount": 0.5})),
            ("clean", "cleaner", "clean up"),
        ),
        Recipe(
            "color",
            "colour correction: neutral white balance",
            (("white_balance", {}),),
            ("color correction", "fix the color", "correct the color", "color balance"),
        ),
        Recipe(
            "light",
            "lighting correction: levels and open shadows",
            (("auto_levels", {"clip": 0.5}), ("shadows", {"amount": 0.15})),
            ("fix the lighting", "better light", "bad lighting", "lighting correction"),
        ),
    )
}

def recipe_steps(name: str) -> list[tuple[str, dict[str, Any]]]:
    """The steps of recipe `name` (fresh copies of their parameters)."""
    return [(op, dict(params)) for op, params in RECIPES[name].steps]


def recipe_for(text: str) -> str:
    """The recipe a clause's words ask for (the first recipe with a matching word or phrase)."""
    text = f" {text} "
    for name in ("color", "light", "natural", "pop", "quality", "clean"):
        if any(f" {w} " in text for w in RECIPES[name].words):
            return name
    return "enhance"
