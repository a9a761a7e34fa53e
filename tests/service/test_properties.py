"""Property tests (hypothesis) for what the campaign broke: sizes and text fields.

Pure functions get many examples; the HTTP ones a few dozen against a real server, with
text drawn from every code point (lone surrogates and control characters included)."""

from __future__ import annotations

import json
import math

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retouch.api.jsontext import MAX_DEPTH, is_text, loads, mend
from retouch.errors import OptionError
from retouch.imaging.sizes import MAX_SIDE, MIN_SIDE, parse_size
from retouch.schema import SIZE_ALIASES
from retouch.service.errors import ApiError

from .helpers import Server

#: Any code point, surrogates included (hypothesis leaves them out unless asked).
ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
ANY_TEXT = st.text(alphabet=ANY_CHAR, max_size=60)
SIZE_LIKE = st.one_of(
    ANY_TEXT,
    st.from_regex(r"\A\s*[0-9]{1,12}(\.[0-9]{0,8})?\s*[x×*:]\s*[0-9]{1,12}(\.[0-9]{0,8})?\s*\Z"),
    st.builds(lambda a, b: f"{a}x{b}", st.integers(-10, 10**30), st.integers(-10, 10**30)),
    st.builds(lambda a, b: f"{a}:{b}", st.floats(allow_nan=True), st.floats(allow_nan=True)),
)


@settings(max_examples=600, deadline=None)
@given(SIZE_LIKE)
def test_parse_size_returns_a_valid_size_or_refuses(text: str) -> None:
    try:
        size = parse_size(text)
    except OptionError as e:
        assert e.param == "size" and len(e.message) < 300
        return
    assert size is None or all(MIN_SIDE <= side <= MAX_SIDE for side in size)


@given(st.integers(MIN_SIDE, MAX_SIDE), st.integers(MIN_SIDE, MAX_SIDE), st.sampled_from(["x", "X", " x ", "×", "*"]))
def test_every_exact_size_in_range_parses_to_itself(w: int, h: int, sep: str) -> None:
    assert parse_size(f"{w}{sep}{h}") == (w, h)


@given(st.integers(1, 40), st.integers(1, 40))
def test_ratios_keep_their_aspect_and_area(a: int, b: int) -> None:
    if max(a, b) / min(a, b) > 16 or f"{a}:{b}" in SIZE_ALIASES:  # (aliases are OpenAI's sizes)
        return
    w, h = parse_size(f"{a}:{b}") or (0, 0)
    assert w % 16 == 0 and h % 16 == 0
    assert math.isclose(w / h, a / b, rel_tol=0.08) and 0.8 < w * h / 1024**2 < 1.2


@settings(max_examples=400)
@given(ANY_TEXT)
def test_json_text_is_accepted_exactly_when_it_is_text(s: str) -> None:
    body = json.dumps({"prompt": s, "metadata": {s: "x"}})  # (ensure_ascii: surrogates as \ud800)
    if is_text(s) and "\x00" not in s:
        assert loads(body) == {"prompt": s, "metadata": {s: "x"}}
    else:  # a lone surrogate or a NUL (which PostgreSQL cannot store) is not text
        with pytest.raises(ApiError) as e:
            loads(body)
        assert e.value.status == 400 and ("surrogate" in e.value.message or "NUL" in e.value.message)


@given(ANY_TEXT)
def test_mended_text_always_encodes(s: str) -> None:
    out = mend(s)
    out.encode("utf-8")
    assert (out == s) == is_text(s) and len(out) <= len(s)


@given(st.integers(1, 3 * MAX_DEPTH))
def test_nesting_is_refused_past_the_limit(depth: int) -> None:
    body = "[" * depth + "]" * depth
    if depth <= MAX_DEPTH + 1:  # (the outermost list is depth 0)
        assert loads(body) is not None
    else:
        with pytest.raises(ApiError):
            loads(body)


# ---- over HTTP: the edge refuses or keeps text, and never answers 5xx

HTTP = settings(
    max_examples=30, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)


@HTTP
@given(prompt=ANY_TEXT, size=SIZE_LIKE)
def test_estimates_answer_200_or_400_for_any_prompt_and_size(server: Server, prompt: str, size: str) -> None:
    body = json.dumps({"prompt": prompt, "image_sizes": ["640x480"], "size": size})
    r = httpx.post(
        server.base_url + "/v1/estimates",
        content=body.encode(),
        headers={"authorization": f"Bearer {server.admin_key}", "content-type": "application/json"},
        timeout=30,
    )
    assert r.status_code in (200, 400), r.text
    if r.status_code == 400:
        assert r.json()["error"]["param"] in ("prompt", "size")
    else:
        assert is_text(prompt) and prompt.strip()


@HTTP
@given(name=st.text(alphabet=ANY_CHAR, max_size=30))
def test_key_names_come_back_as_they_went_in_or_are_refused(server: Server, name: str) -> None:
    with server.client() as c:
        r = c.post(
            "/v1/admin/keys",
            content=json.dumps({"name": name, "credits": 0}).encode(),
            headers={"content-type": "application/json"},
        )
        assert r.status_code in (200, 400), r.text
        if r.status_code == 400:
            assert (not is_text(name) or "\x00" in name) and r.json()["error"]["param"] == "name"
            return
        listed = {k["id"]: k["name"] for k in c.get("/v1/admin/keys").json()["data"]}
    assert listed[r.json()["id"]] == name
