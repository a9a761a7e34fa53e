"""GET /v1/models through the official SDK: what `model` accepts, and whether it can run."""

from __future__ import annotations

import openai
import pytest

from .helpers import Server


def test_models_list_names_what_edits_accept(server: Server, key: str) -> None:
    models = {m.id: m for m in server.openai(key).models.list()}
    builtin = models["retouch-builtin"]
    assert builtin.owned_by == "builtin" and builtin.object == "model"
    assert builtin.model_extra is not None and builtin.model_extra["ready"] is True
    assert "gpt-image-1" in models and models["gpt-image-1"].owned_by == "openai"
    assert "auto" in models
    with server.client(key) as c:
        for model_id in models:  # every listed id is a valid `model`
            r = c.post("/v1/estimates", json={"prompt": "brighten", "image_sizes": ["64x48"], "model": model_id})
            assert r.status_code == 200, (model_id, r.text)
            assert r.json()["model"] == model_id


def test_retrieve_a_model_or_404(server: Server, key: str) -> None:
    client = server.openai(key)
    assert client.models.retrieve("retouch-builtin").owned_by == "builtin"
    with pytest.raises(openai.NotFoundError) as e:
        client.models.retrieve("dall-e-9")
    assert e.value.response.json()["error"]["code"] == "model_not_found"


def test_models_need_a_key(server: Server) -> None:
    with pytest.raises(openai.AuthenticationError):
        server.openai("rt_live_wrong").models.list()
