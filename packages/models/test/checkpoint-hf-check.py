"""Checks that checkpoints written by saveCheckpoint load with the official Python libraries.

Usage: python checkpoint-hf-check.py DIR [DIR ...]   (driven by checkpoint-hf-check.script.ts)

Needs `safetensors` and `transformers` (any torch for safetensors.torch). For every directory:
model.safetensors opens with the Rust safetensors parser, its names are exactly what
T5ForConditionalGeneration.save_pretrained stores for the config (the state dict minus the tied
aliases: embed_tokens always, lm_head when tie_word_embeddings), and config.json /
generation_config.json parse with transformers' T5Config / GenerationConfig (which validate field
types in transformers 5). Exits 1 on the first mismatch.
"""
import json
import os
import sys

from safetensors import safe_open
from transformers import GenerationConfig, T5Config


def expected_names(cfg):
    names = {"shared.weight", "encoder.final_layer_norm.weight", "decoder.final_layer_norm.weight"}
    ff = ["wi_0", "wi_1", "wo"] if cfg["feed_forward_proj"].startswith("gated-") else ["wi", "wo"]
    for stack, n, layers in (("encoder", cfg["num_layers"], 2), ("decoder", cfg["num_decoder_layers"], 3)):
        for i in range(n):
            b = f"{stack}.block.{i}.layer"
            names |= {f"{b}.0.SelfAttention.{p}.weight" for p in "qkvo"}
            if i == 0:
                names.add(f"{b}.0.SelfAttention.relative_attention_bias.weight")
            if stack == "decoder":
                names |= {f"{b}.1.EncDecAttention.{p}.weight" for p in "qkvo"}
            for l in range(layers):
                names.add(f"{b}.{l}.layer_norm.weight")
            names |= {f"{b}.{layers - 1}.DenseReluDense.{w}.weight" for w in ff}
    if not cfg.get("tie_word_embeddings", True):
        names.add("lm_head.weight")
    return names


def check(directory):
    with open(os.path.join(directory, "config.json")) as f:
        raw = json.load(f)
    config = T5Config.from_pretrained(directory)
    generation = GenerationConfig.from_pretrained(directory)
    with safe_open(os.path.join(directory, "model.safetensors"), framework="pt") as f:
        names = set(f.keys())
        metadata = f.metadata()
        for name in names:
            f.get_tensor(name)
    want = expected_names(raw)
    if names != want or metadata != {"format": "pt"}:
        print(f"{directory}: names differ: missing {sorted(want - names)}, extra {sorted(names - want)}; metadata {metadata}")
        sys.exit(1)
    print(
        f"ok {directory}: {len(names)} tensors, feed_forward_proj {config.feed_forward_proj}, "
        f"tie_word_embeddings {raw.get('tie_word_embeddings')}, eos {generation.eos_token_id}"
    )


for d in sys.argv[1:]:
    check(d)
