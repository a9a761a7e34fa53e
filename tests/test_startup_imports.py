"""Cold start: each command imports only what it uses (behaviour of the import graph, not timings).

`retouch explain` must stay a fast, small process (no NumPy, OpenCV, Pillow, torch, mediapipe,
web or database stack), and a tone/colour edit must not pull in the vision, background, text or
generative code. The timings themselves are in bench/bench_startup.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

from PIL import Image

from .conftest import photo_array

PROMPT = "increase contrast by 30%, boost saturation by 30% and add a vignette"
HEAVY = ("numpy", "cv2", "PIL", "torch", "mediapipe", "rich", "fastapi", "starlette", "sqlalchemy",
         "uvicorn", "openai", "diffusers", "httpx", "pydantic")


def modules_after(code: str) -> tuple[set[str], set[str]]:
    """Top-level third-party packages and retouch modules loaded by `code` in a fresh interpreter."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps([sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r})), "
        "sorted(m for m in sys.modules if m.startswith('retouch'))]))"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    heavy, ours = json.loads(proc.stdout.strip().splitlines()[-1])
    return set(heavy), set(ours)


def test_import_retouch_is_light_and_the_public_api_still_works() -> None:
    heavy, _ = modules_after("import retouch")
    assert heavy == set()
    heavy, _ = modules_after(
        "import retouch\n"
        "assert callable(retouch.edit) and callable(retouch.explain)\n"
        "from retouch import EditPlan, PlanStep, RetouchError, edit\n"
        "assert retouch.explain('brighten by 20%').steps[0].op == 'brightness'\n"
        "assert sorted(retouch.__all__) == sorted(n for n in retouch.__all__ if hasattr(retouch, n))"
    )
    assert "pydantic" in heavy and "numpy" not in heavy


def test_explain_imports_no_pixel_or_server_code() -> None:
    heavy, ours = modules_after(
        f"from retouch.cli import main\nassert main(['explain', '-p', {PROMPT!r}]) == 0"
    )
    assert heavy == {"pydantic"}, heavy
    assert not any(m.startswith(("retouch.imaging", "retouch.vision", "retouch.api", "retouch.web")) for m in ours)
    assert not [m for m in ours if m.startswith("retouch.ops.") and m != "retouch.ops.catalog"]


def test_tone_edit_imports_only_the_ops_it_runs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "in.png"
    Image.fromarray(photo_array(64, 48)).save(src)
    heavy, ours = modules_after(
        "from retouch.cli import main\n"
        f"assert main(['edit', {str(src)!r}, '-p', {PROMPT!r}, '-o', {str(tmp_path / 'out.png')!r}]) == 0"
    )
    assert heavy == {"numpy", "cv2", "PIL", "pydantic"}, heavy
    assert (tmp_path / "out.png").is_file()
    assert not any(m.startswith(("retouch.vision", "retouch.api", "retouch.web", "retouch.engines.diffusion"))
                   for m in ours)
    assert {"retouch.ops.tone", "retouch.ops.color", "retouch.ops.detail"} <= ours
    assert not {"retouch.ops.background", "retouch.ops.overlay", "retouch.ops.inpaint", "retouch.ops.light"} & ours
