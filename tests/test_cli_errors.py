"""Every bad input path of the CLI: one `error:` line, non-zero exit, no traceback, no output file."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from retouch.cli import main

from .conftest import photo_array


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run the CLI in-process; return exit code and stderr."""
    rc = main(argv)
    return rc, capsys.readouterr().err


def assert_refused(rc: int, err: str, out: Path, *mentions: str) -> None:
    """The error contract: non-zero, exactly one `error:` line, no traceback, nothing written."""
    assert rc != 0
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    assert not out.exists()
    for word in mentions:
        assert word.lower() in err.lower(), err


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out.png"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def png_bytes(arr: np.ndarray, mode: str | None = None) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr, mode).save(buf, "PNG")
    return buf.getvalue()


def test_missing_input(tmp_path, out, capsys):
    rc, err = run(["edit", str(tmp_path / "nope.png"), "-p", "brighten", "-o", str(out)], capsys)
    assert_refused(rc, err, out, "not found")


def test_input_is_directory(tmp_path, out, capsys):
    rc, err = run(["edit", str(tmp_path), "-p", "brighten", "-o", str(out)], capsys)
    assert_refused(rc, err, out)


def test_not_an_image(tmp_path, out, capsys):
    p = write(tmp_path, "x.png", b"plainly not an image\n")
    rc, err = run(["edit", str(p), "-p", "brighten", "-o", str(out)], capsys)
    assert_refused(rc, err, out, "image")


def test_truncated_image(tmp_path, out, capsys):
    data = png_bytes(photo_array())
    p = write(tmp_path, "t.png", data[: len(data) // 3])
    rc, err = run(["edit", str(p), "-p", "brighten", "-o", str(out)], capsys)
    assert_refused(rc, err, out, "truncated")


def test_decompression_bomb_fails_fast(tmp_path, out, capsys):
    import time

    p = tmp_path / "bomb.png"
    Image.new("1", (20000, 20000)).save(p, "PNG")
    t = time.monotonic()
    rc, err = run(["edit", str(p), "-p", "brighten", "-o", str(out)], capsys)
    assert time.monotonic() - t < 5
    assert_refused(rc, err, out, "pixels")


@pytest.mark.parametrize("prompt", ["", "   "])
def test_empty_prompt(photo_path, out, capsys, prompt):
    rc, err = run(["edit", str(photo_path), "-p", prompt, "-o", str(out)], capsys)
    assert_refused(rc, err, out, "prompt")


def test_gibberish_prompt(photo_path, out, capsys):
    rc, err = run(["edit", str(photo_path), "-p", "qwzx plorb vrang", "-o", str(out)], capsys)
    assert_refused(rc, err, out, "qwzx")


def test_generative_prompt_names_fragment_and_engine(photo_path, out, capsys):
    rc, err = run(["edit", str(photo_path), "-p", "increase contrast and add sunglasses", "-o", str(out)], capsys)
    assert_refused(rc, err, out, "sunglasses", "generative")


def test_mask_wrong_size(photo_path, tmp_path, out, capsys):
    m = write(tmp_path, "m.png", png_bytes(np.zeros((10, 17, 4), np.uint8)))
    rc, err = run(["edit", str(photo_path), "--mask", str(m), "-p", "brighten this", "-o", str(out)], capsys)
    assert_refused(rc, err, out, "mask", "17x10", "320x240")


def test_mask_missing(photo_path, tmp_path, out, capsys):
    rc, err = run(["edit", str(photo_path), "--mask", str(tmp_path / "m.png"), "-p", "brighten", "-o", str(out)],
                  capsys)
    assert_refused(rc, err, out, "mask")


def test_mask_not_an_image(photo_path, tmp_path, out, capsys):
    m = write(tmp_path, "m.png", b"nope")
    rc, err = run(["edit", str(photo_path), "--mask", str(m), "-p", "brighten", "-o", str(out)], capsys)
    assert_refused(rc, err, out, "mask")


def test_transparent_with_jpeg(photo_path, tmp_path, capsys):
    out = tmp_path / "o.jpg"
    rc, err = run(["edit", str(photo_path), "-p", "brighten", "-o", str(out), "--background", "transparent"],
                  capsys)
    assert_refused(rc, err, out, "transparent", "jpeg")


@pytest.mark.parametrize("size", ["abc", "0x100", "99999x10", "12x"])
def test_bad_size(photo_path, out, capsys, size):
    rc, err = run(["edit", str(photo_path), "-p", "brighten", "-o", str(out), "--size", size], capsys)
    assert_refused(rc, err, out, "size")


def test_bad_compression(photo_path, out, capsys):
    rc, err = run(["edit", str(photo_path), "-p", "brighten", "-o", str(out), "--output-compression", "101"], capsys)
    assert_refused(rc, err, out, "compression")


def test_bad_quality(photo_path, out, capsys):
    rc, err = run(["edit", str(photo_path), "-p", "brighten", "-o", str(out), "--quality", "ultra"], capsys)
    assert_refused(rc, err, out, "quality")


def test_output_folder_missing(photo_path, tmp_path, capsys):
    out = tmp_path / "no" / "such" / "o.png"
    rc, err = run(["edit", str(photo_path), "-p", "brighten", "-o", str(out)], capsys)
    assert_refused(rc, err, out, "does not exist")


def test_output_extension_conflicts_with_format(photo_path, out, capsys):
    rc, err = run(["edit", str(photo_path), "-p", "brighten", "-o", str(out), "--output-format", "jpeg"], capsys)
    assert_refused(rc, err, out, ".png", "jpeg")


def test_unknown_output_extension(photo_path, tmp_path, capsys):
    out = tmp_path / "o.xyz"
    rc, err = run(["edit", str(photo_path), "-p", "brighten", "-o", str(out)], capsys)
    assert_refused(rc, err, out, ".xyz")


def test_unknown_engine(photo_path, out, capsys):
    rc, err = run(["edit", str(photo_path), "-p", "brighten", "-o", str(out), "--engine", "no-such-engine"], capsys)
    assert_refused(rc, err, out, "engine")


@pytest.mark.parametrize("n", ["0", "11"])
def test_bad_n(photo_path, out, capsys, n):
    rc, err = run(["edit", str(photo_path), "-p", "brighten", "-o", str(out), "-n", n], capsys)
    assert_refused(rc, err, out, "-n")


def test_reference_to_missing_image(photo_path, out, capsys):
    rc, err = run(["edit", str(photo_path), str(photo_path), "-p", "match the colours of image 3", "-o", str(out)],
                  capsys)
    assert_refused(rc, err, out, "3")


def test_masked_area_without_mask(photo_path, out, capsys):
    rc, err = run(["edit", str(photo_path), "-p", "brighten the masked area", "-o", str(out)], capsys)
    assert_refused(rc, err, out, "mask")


def test_remove_object_without_mask(photo_path, out, capsys):
    rc, err = run(["edit", str(photo_path), "-p", "remove the person on the left", "-o", str(out)], capsys)
    assert_refused(rc, err, out)


def test_geometry_with_mask(photo_path, tmp_path, out, capsys):
    m = np.zeros((240, 320), np.uint8)
    m[:, :160] = 255
    mp = write(tmp_path, "m.png", png_bytes(m, "L"))
    rc, err = run(["edit", str(photo_path), "--mask", str(mp), "-p", "rotate 90 degrees", "-o", str(out)], capsys)
    assert_refused(rc, err, out, "mask")


def test_no_subcommand_prints_help(capsys):
    assert main([]) != 0


def test_batch_refusal_writes_nothing(photo_path, tmp_path, capsys):
    out_dir = tmp_path / "outs"
    rc = main(["batch", str(photo_path), "-p", "give everyone a hat", "--out-dir", str(out_dir)])
    err = capsys.readouterr().err
    assert rc != 0 and err.startswith("error: ") and "Traceback" not in err
    assert not out_dir.exists() or not any(out_dir.iterdir())


def test_batch_reports_bad_file_and_keeps_good_ones(photo_path, tmp_path, capsys):
    bad = write(tmp_path, "bad.png", b"garbage")
    out_dir = tmp_path / "outs"
    rc = main(["batch", str(photo_path), str(bad), "-p", "make it black and white", "--out-dir", str(out_dir)])
    err = capsys.readouterr().err
    assert rc != 0 and "Traceback" not in err
    assert [ln for ln in err.splitlines() if ln.startswith("error: ")] and "bad.png" in err
    assert (out_dir / "photo.png").exists() and not (out_dir / "bad.png").exists()


def test_subprocess_has_no_traceback_and_no_output(tmp_path):
    """The real console script: exit code and stderr as a user sees them."""
    p = write(tmp_path, "x.png", b"not an image")
    out = tmp_path / "o.png"
    proc = subprocess.run([sys.executable, "-m", "retouch", "edit", str(p), "-p", "brighten", "-o", str(out)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert proc.stderr.strip().startswith("error: ") and len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_cutout_to_jpeg_is_refused(photo_path, tmp_path, capsys):
    out = tmp_path / "o.jpg"
    rc, err = run(["edit", str(photo_path), "-p", "remove the background", "-o", str(out)], capsys)
    assert_refused(rc, err, out, "jpeg", "png")
