"""Inline edits take their credit hold while the engine runs: a refusal must still be the
answer, leave nothing behind, and make that key's next holds go first again."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace

import openai
import pytest

from retouch.engines.base import Capabilities
from retouch.service.container import Services, build_services
from retouch.service.edits import EditSpec
from retouch.service.errors import ApiError
from retouch.service.inputs import probe
from retouch.service.keys import Principal
from retouch.service.params import parse_options
from retouch.service.settings import ServiceSettings

from .helpers import Server, png


def _code(e: openai.APIStatusError) -> str:
    return e.response.json()["error"]["code"]


def test_a_refused_hold_is_the_answer_and_leaves_nothing(server: Server) -> None:
    poor = server.new_key(credits=1)
    client = server.openai(poor["key"])
    # An instruction it cannot do is refused as it is read, before anything is held (as on
    # /v1/jobs); one it can do is refused for the money.
    with pytest.raises(openai.BadRequestError) as bad:
        client.images.edit(image=("p.png", png(), "image/png"), prompt="brighten slightly and add a dragon")
    assert _code(bad.value) == "unsupported_instruction"
    for prompt in ("brighten slightly", "increase contrast by 10%"):
        with pytest.raises(openai.APIStatusError) as e:
            client.images.edit(image=("p.png", png(), "image/png"), prompt=prompt)
        assert e.value.status_code == 402 and _code(e.value) == "insufficient_credits"
    with server.client(poor["key"]) as c:
        bal = c.get("/v1/balance").json()
        jobs = c.get("/v1/jobs").json()["data"]
        entries = c.get("/v1/statements").json()["entries"]
    assert (bal["available"], bal["held"]) == (1, 0)
    assert jobs == []  # a refused hold leaves no job row
    assert [e["kind"] for e in entries] == ["grant"]  # and no ledger entry


def test_an_edit_refused_on_its_input_leaves_no_job_and_no_ledger_entries(server: Server) -> None:
    # Issue 11, defect 7: a refused instruction or an image that cannot be decoded left a
    # failed job and a hold/release pair behind, cluttering job lists and statements.
    k = server.new_key(credits=10_000)
    client = server.openai(k["key"])
    with pytest.raises(openai.BadRequestError) as e:
        client.images.edit(image=("p.png", png(), "image/png"), prompt="add a dragon")
    assert _code(e.value) == "unsupported_instruction"
    truncated = png(256, 256, seed=3)[:-300]  # header readable, pixels not
    with pytest.raises(openai.BadRequestError) as e:
        client.images.edit(image=("p.png", truncated, "image/png"), prompt="brighten slightly")
    assert e.value.status_code == 400 and _code(e.value) == "invalid_image"
    with server.client(k["key"]) as c:
        bal = c.get("/v1/balance").json()
        jobs = c.get("/v1/jobs").json()["data"]
        kinds = sorted(x["kind"] for x in c.get("/v1/statements").json()["entries"])
    assert (bal["available"], bal["held"]) == (10_000, 0)
    assert jobs == []
    assert kinds == ["grant"]


@pytest.fixture
def services(tmp_path: Path) -> Services:
    svc = build_services(ServiceSettings(data_dir=tmp_path, bootstrap_admin=False, login_link=False))
    from retouch.service.migrate import upgrade

    upgrade(svc.db)
    return svc


def _spec(svc: Services) -> EditSpec:
    image = probe(png(), param="image", max_bytes=1 << 20)
    return svc.edits.prepare(parse_options({"prompt": "brighten slightly"}), [image], None)


def _principal(svc: Services, credits: int) -> Principal:
    created = svc.keys.create(name="t", credits=credits)
    p = svc.keys.verify(created.secret)
    assert p is not None
    return p


def test_keys_refused_lately_hold_before_the_engine_runs(services: Services) -> None:
    spec = _spec(services)
    poor, rich = _principal(services, 0), _principal(services, 10**6)
    assert services.edits.may_hold_during_run(poor, spec)
    with pytest.raises(ApiError) as e:
        services.edits.open_job(poor, spec, origin="inline", worker_id="w")
    assert e.value.status == 402
    assert not services.edits.may_hold_during_run(poor, spec)  # no free engine runs for it
    assert services.edits.may_hold_during_run(rich, spec)  # other keys are unaffected
    services.edits.REFUSAL_MEMORY_S = 0.0  # (instance attribute: the memory has passed)
    assert services.edits.may_hold_during_run(poor, spec)


def test_generative_engines_always_hold_first(services: Services) -> None:
    # their runs can cost money upstream: never start one that the hold may refuse
    spec = dataclasses.replace(
        _spec(services), engine=SimpleNamespace(capabilities=Capabilities(generative=True))
    )
    assert not services.edits.may_hold_during_run(_principal(services, 10**6), spec)
