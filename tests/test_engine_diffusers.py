"""The `diffusers` engine's wiring, on tiny randomly initialised pipelines built here (no hub).

The models are a few thousand parameters and run 2 steps at 32-64 px on the CPU: the
pixels are noise, so the tests check what retouch does around the pipeline — sizes,
mask compositing, inputs, progress and previews, seeds, cancellation, family choice.
RETOUCH_TEST_DIFFUSERS_DEVICE=cuda runs the same tests on a GPU (the engine's device,
dtype and offload choice, and loading saved weights onto the GPU in bf16).
"""

from __future__ import annotations

import io
import os
import threading

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")
transformers = pytest.importorskip("transformers")

from retouch.engines import EditCancelled, EditOptions, EngineUnavailable, get_engine, reset_engines  # noqa: E402
from retouch.engines.diffusers_engine import DiffusersEngine, preview_steps  # noqa: E402
from retouch.errors import OptionError  # noqa: E402
from retouch.schema import EditRequest  # noqa: E402

from .conftest import photo_array  # noqa: E402

DEVICE = os.environ.get("RETOUCH_TEST_DIFFUSERS_DEVICE", "cpu")

WORDS = [
    "a",
    "an",
    "the",
    "add",
    "make",
    "turn",
    "change",
    "remove",
    "put",
    "give",
    "it",
    "its",
    "to",
    "of",
    "on",
    "in",
    "with",
    "and",
    "red",
    "blue",
    "green",
    "hat",
    "sunglasses",
    "sky",
    "cat",
    "dog",
    "snow",
    "winter",
    "summer",
    "painting",
    "style",
    "background",
    "person",
]


def word_tokenizer(max_length: int = 16):
    """A word-level fast tokenizer from an in-memory vocabulary (stands in for CLIP's and T5's)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "<unk>": 1, "</s>": 2, "<s>": 3} | {w: i + 4 for i, w in enumerate(WORDS)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        model_max_length=max_length,
        pad_token="<pad>",
        unk_token="<unk>",
        eos_token="</s>",
        bos_token="<s>",
    )


def clip_config(**kw):
    from transformers import CLIPTextConfig

    return CLIPTextConfig(
        bos_token_id=0,
        eos_token_id=2,
        hidden_size=32,
        intermediate_size=37,
        layer_norm_eps=1e-05,
        num_attention_heads=4,
        num_hidden_layers=2,
        pad_token_id=1,
        vocab_size=100,
        **kw,
    )


def sd_vae():
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        block_out_channels=[32, 64],
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        down_block_types=["DownEncoderBlock2D"] * 2,
        up_block_types=["UpDecoderBlock2D"] * 2,
    )


@pytest.fixture(scope="module")
def pix2pix():
    from diffusers import EulerDiscreteScheduler, StableDiffusionInstructPix2PixPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=16,
        in_channels=8,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
    )
    pipe = StableDiffusionInstructPix2PixPipeline(
        vae=sd_vae(),
        text_encoder=CLIPTextModel(clip_config()),
        tokenizer=word_tokenizer(),
        unet=unet,
        scheduler=EulerDiscreteScheduler(),
        safety_checker=None,
        feature_extractor=None,
        image_encoder=None,
        requires_safety_checker=False,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


@pytest.fixture(scope="module")
def sdxl_inpaint():
    from diffusers import EulerDiscreteScheduler, StableDiffusionXLInpaintPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=16,
        in_channels=9,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=8,
        transformer_layers_per_block=(1, 2),
        projection_class_embeddings_input_dim=6 * 8 + 32,  # six time ids of 8 + the pooled text embedding
        cross_attention_dim=64,
    )
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        steps_offset=1,
        beta_schedule="scaled_linear",
        timestep_spacing="leading",
    )
    pipe = StableDiffusionXLInpaintPipeline(
        vae=sd_vae(),
        text_encoder=CLIPTextModel(clip_config(projection_dim=32)),
        text_encoder_2=CLIPTextModelWithProjection(clip_config(projection_dim=32)),
        tokenizer=word_tokenizer(),
        tokenizer_2=word_tokenizer(),
        unet=unet,
        scheduler=scheduler,
        requires_aesthetics_score=False,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def flux_parts(in_channels: int, out_channels: int | None, latent_channels: int):
    from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, FluxTransformer2DModel
    from transformers import CLIPTextModel, T5Config, T5EncoderModel

    torch.manual_seed(0)
    transformer = FluxTransformer2DModel(
        patch_size=1,
        in_channels=in_channels,
        out_channels=out_channels,
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=32,
        pooled_projection_dim=32,
        axes_dims_rope=[4, 4, 8],
    )
    t5 = T5EncoderModel(
        T5Config(
            vocab_size=100,
            d_model=32,
            d_kv=8,
            d_ff=37,
            num_layers=1,
            num_heads=4,
            decoder_start_token_id=0,
            pad_token_id=0,
            eos_token_id=2,
        )
    )
    vae = AutoencoderKL(
        sample_size=32,
        in_channels=3,
        out_channels=3,
        block_out_channels=(4,),
        layers_per_block=1,
        latent_channels=latent_channels,
        norm_num_groups=1,
        use_quant_conv=False,
        use_post_quant_conv=False,
        shift_factor=0.0609,
        scaling_factor=1.5035,
    )
    return dict(
        transformer=transformer,
        text_encoder=CLIPTextModel(clip_config(projection_dim=32)),
        text_encoder_2=t5,
        tokenizer=word_tokenizer(77),
        tokenizer_2=word_tokenizer(16),
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(),
    )


@pytest.fixture(scope="module")
def flux_kontext():
    from diffusers import FluxKontextPipeline

    pipe = FluxKontextPipeline(**flux_parts(4, None, 1), image_encoder=None, feature_extractor=None)
    pipe.set_progress_bar_config(disable=True)
    return pipe


@pytest.fixture(scope="module")
def flux_fill():
    from diffusers import FluxFillPipeline

    pipe = FluxFillPipeline(**flux_parts(20, 8, 2))
    pipe.set_progress_bar_config(disable=True)
    return pipe


@pytest.fixture(autouse=True)
def offline(tmp_path_factory, monkeypatch):
    """An empty Hugging Face cache, offline: nothing may be downloaded."""
    monkeypatch.setenv("HF_HOME", str(tmp_path_factory.getbasetemp() / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    reset_engines()
    yield
    reset_engines()


def png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return buf.getvalue()


def decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def engine(model: str, **pipes) -> DiffusersEngine:
    eng = DiffusersEngine(model=model, device=DEVICE, resolution=32)
    for name, pipe in pipes.items():
        pipe.to(DEVICE)  # in place (pipelines, and wrappers that pass `to` on)
        eng.use_pipeline(pipe, name.replace("_", "-"))
    return eng


def request(img: np.ndarray, **kw) -> EditRequest:
    return EditRequest(
        images=[png(img)], prompt=kw.pop("prompt", "add a red hat"), engine="diffusers", quality="low", **kw
    )


def edge_mask(h: int, w: int) -> np.ndarray:
    """White = edit: a box in the middle."""
    m = np.zeros((h, w), np.uint8)
    m[h // 4 : 3 * h // 4, w // 3 : 2 * w // 3] = 255
    return m


def test_instruct_pix2pix_sizes_seeds_and_progress(pix2pix):
    eng = engine("instruct-pix2pix", instruct_pix2pix=pix2pix)
    img = photo_array(48, 40)
    events = []
    res = eng.edit(
        request(img, n=2),
        progress=lambda f, s, p: events.append((f, s, p)),
        options=EditOptions(seed=7, steps=2, partial_images=1),
    )
    assert len(res.images) == 2 and all(decode(b).shape == (40, 48, 3) for b in res.images)
    assert res.images[0] != res.images[1]  # seed, seed + 1
    again = eng.edit(request(img), options=EditOptions(seed=7, steps=2))
    assert again.images[0] == res.images[0]  # reproducible
    fractions = [f for f, _, _ in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert sum(s.startswith("step") for _, s, _ in events) == 4  # 2 steps x 2 outputs
    partials = [p for _, _, p in events if p is not None]
    assert len(partials) == 2 and decode(partials[0]).shape == (40, 48, 3)
    step = res.plan.steps[0]
    assert step.op == "generate" and step.params["model"] == "instruct-pix2pix" and step.params["steps"] == 2
    assert res.usage.output_tokens > 0


def test_explicit_size_and_output_format(pix2pix):
    eng = engine("instruct-pix2pix", instruct_pix2pix=pix2pix)
    res = eng.edit(
        request(photo_array(48, 40), size="64x32", output_format="jpeg"), options=EditOptions(seed=1, steps=2)
    )
    assert Image.open(io.BytesIO(res.images[0])).format == "JPEG"
    assert (res.width, res.height) == (64, 32) and decode(res.images[0]).shape == (32, 64, 3)


def test_sdxl_inpaint_keeps_outside_the_mask(pix2pix, sdxl_inpaint):
    eng = engine("instruct-pix2pix", instruct_pix2pix=pix2pix, sdxl_inpaint=sdxl_inpaint)
    img = photo_array(56, 40)
    mask = edge_mask(40, 56)
    res = eng.edit(request(img, mask=png(mask)), options=EditOptions(seed=3, steps=2))
    assert res.plan.steps[0].params["model"] == "sdxl-inpaint"  # the instruction model's partner
    out = decode(res.images[0])
    assert out.shape == img.shape
    assert np.array_equal(out[mask == 0], img[mask == 0])
    assert not np.array_equal(out[mask > 0], img[mask > 0])


def test_mask_without_inpaint_weights_composites_the_instruction_edit(pix2pix):
    eng = engine("instruct-pix2pix", instruct_pix2pix=pix2pix)  # no sdxl-inpaint weights here
    img = photo_array(48, 48)
    mask = edge_mask(48, 48)
    res = eng.edit(request(img, mask=png(mask)), options=EditOptions(seed=3, steps=2))
    assert res.plan.steps[0].params["mask"] == "composite"
    out = decode(res.images[0])
    assert np.array_equal(out[mask == 0], img[mask == 0])


def test_inpaint_model_needs_a_mask(sdxl_inpaint):
    eng = engine("sdxl-inpaint", sdxl_inpaint=sdxl_inpaint)
    with pytest.raises(OptionError, match="mask"):
        eng.edit(request(photo_array(32, 32)))


def test_cancel_with_interrupt_flag(sdxl_inpaint):
    eng = engine("sdxl-inpaint", sdxl_inpaint=sdxl_inpaint)
    cancel = threading.Event()
    steps = []

    def progress(f, stage, partial):
        if stage.startswith("step"):
            steps.append(stage)
            cancel.set()

    img = photo_array(32, 32)
    with pytest.raises(EditCancelled):
        eng.edit(
            request(img, mask=png(edge_mask(32, 32))),
            progress=progress,
            options=EditOptions(steps=4, cancel=cancel),
        )
    assert steps == ["step 1/4"]  # the pipeline skipped the rest
    assert sdxl_inpaint._interrupt is True
    res = eng.edit(request(img, mask=png(edge_mask(32, 32))), options=EditOptions(steps=2))  # usable again
    assert len(res.images) == 1


def test_exception_from_progress_stops_a_pipeline_without_interrupt(pix2pix):
    class JobCanceled(Exception):
        pass

    def progress(f, stage, partial):
        if stage.startswith("step"):
            raise JobCanceled()

    eng = engine("instruct-pix2pix", instruct_pix2pix=pix2pix)
    with pytest.raises(JobCanceled):
        eng.edit(request(photo_array(32, 32)), progress=progress, options=EditOptions(steps=3))


def test_several_inputs(pix2pix):
    eng = engine("instruct-pix2pix", instruct_pix2pix=pix2pix)
    req = EditRequest(images=[png(photo_array(32, 32, seed=s)) for s in range(2)], prompt="put the cat in it")
    with pytest.raises(OptionError, match="qwen-image-edit-plus"):
        eng.edit(req)


def test_flux_kontext(flux_kontext):
    eng = engine("flux-kontext", flux_kontext=flux_kontext)
    img = photo_array(48, 32)
    events = []
    res = eng.edit(
        request(img, prompt="make it winter"),
        progress=lambda f, s, p: events.append(p),
        options=EditOptions(seed=0, steps=2, partial_images=1),
    )
    assert decode(res.images[0]).shape == img.shape
    partials = [p for p in events if p is not None]
    assert len(partials) == 1 and decode(partials[0]).shape == img.shape  # packed latents decoded


def test_flux_fill_keeps_outside_the_mask(flux_kontext, flux_fill):
    eng = engine("flux-kontext", flux_kontext=flux_kontext, flux_fill=flux_fill)
    img = photo_array(40, 40)
    mask = edge_mask(40, 40)
    res = eng.edit(request(img, mask=png(mask)), options=EditOptions(seed=0, steps=2))
    assert res.plan.steps[0].params["model"] == "flux-fill"
    out = decode(res.images[0])
    assert np.array_equal(out[mask == 0], img[mask == 0])


def test_without_weights_it_is_not_ready_and_says_how(tmp_path):
    eng = DiffusersEngine(model="flux-kontext", device="cpu")
    ok, why = eng.ready()
    assert not ok and "hf download black-forest-labs/FLUX.1-Kontext-dev" in why
    with pytest.raises(EngineUnavailable, match="not found"):
        eng.edit(request(photo_array(32, 32)))


def test_registry_routes_model_names_and_weight_folders(tmp_path):
    assert get_engine("flux-kontext").name == "diffusers"
    assert get_engine("Qwen/Qwen-Image-Edit-2509").family.name == "qwen-image-edit-plus"
    (tmp_path / "model_index.json").write_text('{"_class_name": "FluxFillPipeline"}')
    eng = get_engine(f"diffusers:{tmp_path}")
    assert eng.family.name == "flux-fill" and eng.weights_present(eng.source)
    with pytest.raises(OptionError):
        DiffusersEngine(model="no-such-model")
    with pytest.raises(OptionError):
        DiffusersEngine(offload="sometimes")


def test_preview_steps():
    assert preview_steps(2, 1) == {1}
    assert preview_steps(30, 3) == {8, 15, 22}
    assert preview_steps(4, 0) == set() and preview_steps(1, 3) == set()


# ---- Qwen-Image-Edit (-Plus): a tiny Qwen2.5-VL text encoder, transformer and 3D VAE


class TinyQwenProcessor:
    """Qwen2VLProcessor's job (image features + one <|image_pad|> per merged patch), minus its video
    processor, which needs torchvision."""

    def __init__(self, image_processor, tokenizer):
        self.image_processor, self.tokenizer = image_processor, tokenizer

    def __call__(self, text, images=None, padding=True, return_tensors="pt"):
        from transformers import BatchFeature

        feats = self.image_processor(images=images, return_tensors="pt") if images is not None else {}
        if images is not None:
            merge = self.image_processor.merge_size**2
            counts = [int(g.prod()) // merge for g in feats["image_grid_thw"]]
            out = []
            for t in text:
                for c in counts:
                    t = t.replace("<|image_pad|>", "<|placeholder|> " * c, 1)
                out.append(t.replace("<|placeholder|>", "<|image_pad|>"))
            text = out
        return BatchFeature({**self.tokenizer(text, padding=padding, return_tensors=return_tensors), **feats})


def qwen_parts():
    from diffusers import AutoencoderKLQwenImage, FlowMatchEulerDiscreteScheduler, QwenImageTransformer2DModel
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    specials = [
        "<|endoftext|>",
        "<|im_start|>",
        "<|im_end|>",
        "<|vision_start|>",
        "<|vision_end|>",
        "<|image_pad|>",
        "<|video_pad|>",
    ]
    vocab = {t: i for i, t in enumerate([*specials, "<unk>", *WORDS])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<|endoftext|>", unk_token="<unk>", additional_special_tokens=specials[1:]
    )
    torch.manual_seed(0)
    config = Qwen2_5_VLConfig(
        text_config={
            "hidden_size": 16,
            "intermediate_size": 16,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 2,
            "vocab_size": 64,
            "rope_theta": 1000000.0,
            "rope_scaling": {"mrope_section": [1, 1, 2], "rope_type": "default", "type": "default"},
        },
        vision_config={"depth": 2, "hidden_size": 16, "intermediate_size": 16, "num_heads": 2, "out_hidden_size": 16},
        hidden_size=16,
        vocab_size=64,
        image_token_id=vocab["<|image_pad|>"],
        video_token_id=vocab["<|video_pad|>"],
        vision_start_token_id=vocab["<|vision_start|>"],
        vision_end_token_id=vocab["<|vision_end|>"],
        bos_token_id=None,
        eos_token_id=None,
    )
    z = 4
    return dict(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=AutoencoderKLQwenImage(
            base_dim=z * 6,
            z_dim=z,
            dim_mult=[1, 2, 4],
            num_res_blocks=1,
            temperal_downsample=[False, True],
            latents_mean=[0.0] * z,
            latents_std=[1.0] * z,
        ),
        text_encoder=Qwen2_5_VLForConditionalGeneration(config),
        tokenizer=tokenizer,
        processor=TinyQwenProcessor(
            Qwen2VLImageProcessorPil(min_pixels=28 * 28 * 4, max_pixels=28 * 28 * 16), tokenizer
        ),
        transformer=QwenImageTransformer2DModel(
            patch_size=2,
            in_channels=16,
            out_channels=4,
            num_layers=2,
            attention_head_dim=16,
            num_attention_heads=3,
            joint_attention_dim=16,
            guidance_embeds=False,
            axes_dims_rope=(8, 4, 4),
        ),
    )


@pytest.fixture
def small_qwen_conditioning(monkeypatch):
    """The Qwen pipelines encode their input images at a fixed 1 MP; 32² keeps the tiny test fast."""
    import diffusers.pipelines.qwenimage.pipeline_qwenimage_edit as edit
    import diffusers.pipelines.qwenimage.pipeline_qwenimage_edit_plus as plus

    orig = edit.calculate_dimensions
    monkeypatch.setattr(edit, "calculate_dimensions", lambda area, ratio: orig(32 * 32, ratio))
    monkeypatch.setattr(plus, "VAE_IMAGE_SIZE", 32 * 32)
    monkeypatch.setattr(plus, "CONDITION_IMAGE_SIZE", 32 * 32)


def test_qwen_image_edit(small_qwen_conditioning):
    from diffusers import QwenImageEditPipeline

    pipe = QwenImageEditPipeline(**qwen_parts())
    eng = engine("qwen-image-edit", qwen_image_edit=pipe)
    img = photo_array(48, 32)
    events = []
    res = eng.edit(
        request(img, prompt="make it winter"),
        progress=lambda f, s, p: events.append(p),
        options=EditOptions(seed=0, steps=2, partial_images=1),
    )
    assert decode(res.images[0]).shape == img.shape
    assert [decode(p).shape for p in events if p is not None] == [img.shape]  # 5-D latents decoded


def test_qwen_image_edit_plus_takes_several_images(small_qwen_conditioning):
    from diffusers import QwenImageEditPlusPipeline

    pipe = QwenImageEditPlusPipeline(**qwen_parts())
    eng = engine("qwen-image-edit-plus", qwen_image_edit_plus=pipe)
    imgs = [photo_array(48, 32, seed=s) for s in range(3)]
    req = EditRequest(images=[png(i) for i in imgs], prompt="put the cat of image 2 on the sofa", quality="low")
    res = eng.edit(req, options=EditOptions(seed=0, steps=2))
    assert decode(res.images[0]).shape == imgs[0].shape
    with pytest.raises(OptionError, match="3 image"):
        eng.edit(EditRequest(images=[png(imgs[0])] * 4, prompt="combine them"))


def test_loads_local_weights_and_keeps_one_pipeline_resident(pix2pix, sdxl_inpaint, tmp_path):
    from retouch.engines.diffusers_engine import device_slot

    pix2pix.save_pretrained(tmp_path / "p2p")
    sdxl_inpaint.save_pretrained(tmp_path / "inpaint")
    eng = DiffusersEngine(
        model="instruct-pix2pix",
        device=DEVICE,
        resolution=32,
        weights={"instruct-pix2pix": str(tmp_path / "p2p"), "sdxl-inpaint": str(tmp_path / "inpaint")},
    )
    assert eng.ready()[0]
    img = photo_array(40, 32)
    eng.edit(request(img), options=EditOptions(seed=0, steps=2))  # loads from the folder, offline
    slot = device_slot(DEVICE)
    assert slot.key[0] == "instruct-pix2pix"
    first = slot.pipe
    eng.edit(request(img), options=EditOptions(seed=0, steps=2))
    assert slot.pipe is first  # stays resident
    mask = edge_mask(32, 40)
    res = eng.edit(request(img, mask=png(mask)), options=EditOptions(seed=0, steps=2))
    assert slot.key[0] == "sdxl-inpaint" and slot.pipe is not first  # switched: one at a time
    assert np.array_equal(decode(res.images[0])[mask == 0], img[mask == 0])
    by_folder = DiffusersEngine(model=str(tmp_path / "p2p"), device=DEVICE, resolution=32)
    assert by_folder.family.name == "instruct-pix2pix"
    by_folder.edit(request(img), options=EditOptions(seed=0, steps=2))


def test_requests_for_one_device_never_overlap(pix2pix):
    class Watched:
        """The pipeline, counting how many calls run at once."""

        def __init__(self, pipe):
            self.pipe, self.active, self.most = pipe, 0, 0
            self.lock = threading.Lock()

        def __getattr__(self, name):
            return getattr(self.pipe, name)

        def __call__(self, **kw):
            with self.lock:
                self.active += 1
                self.most = max(self.most, self.active)
            try:
                return self.pipe(**kw)
            finally:
                with self.lock:
                    self.active -= 1

    watched = Watched(pix2pix)
    engines = [engine("instruct-pix2pix", instruct_pix2pix=watched) for _ in range(2)]
    errors = []

    def run(eng):
        try:
            eng.edit(request(photo_array(32, 32)), options=EditOptions(seed=0, steps=2))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(engines[i % 2],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and watched.most == 1


def test_offload_and_dtype_choice(monkeypatch):
    class Props:
        def __init__(self, gb):
            self.total_memory = gb * 2**30

    eng = DiffusersEngine(model="flux-kontext")
    fam = eng.family
    for gb, want in ((80, "none"), (32, "model"), (16, "sequential")):
        monkeypatch.setattr(torch.cuda, "get_device_properties", lambda d, gb=gb: Props(gb))
        assert eng._offload(fam, "cuda") == want
    assert eng._offload(fam, "cpu") == "none"
    assert eng.resolved_dtype("cpu") == torch.float32
    assert DiffusersEngine(model="flux-kontext", dtype="bfloat16").resolved_dtype("cpu") == torch.bfloat16
