"""Exports the peer T5 (t5.py) to the ONNX graphs that onnxruntime-web runs in the benchmark, in the
layout Optimum / transformers.js use for T5:

  encoder.onnx            input_ids, attention_mask -> last_hidden_state
  decoder.onnx            first step: decoder_input_ids, encoder_attention_mask, encoder_hidden_states
                          -> logits, present.{i}.decoder.{key,value}, present.{i}.encoder.{key,value}
  decoder_with_past.onnx  later steps: decoder_input_ids [batch, 1], encoder_attention_mask,
                          past_key_values.{i}.{decoder,encoder}.{key,value} -> logits, present.{i}.decoder.*

usage: /usr/bin/python3 export_onnx.py MODEL_DIR OUT_DIR
"""

import os
import sys
import warnings

import torch
from torch import nn

from t5 import T5

OPSET = 14


class EncoderGraph(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return self.model.encode(input_ids, attention_mask)


class DecoderGraph(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, decoder_input_ids, encoder_attention_mask, encoder_hidden_states):
        cross_kv = self.model.cross_key_values(encoder_hidden_states)
        logits, present = self.model.decode(decoder_input_ids, encoder_attention_mask, cross_kv)
        return (logits, *[t for kv in present for t in kv], *[t for kv in cross_kv for t in kv])


class DecoderWithPastGraph(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, decoder_input_ids, encoder_attention_mask, *past):
        layers = len(self.model.decoder)
        past_kv = [(past[4 * i], past[4 * i + 1]) for i in range(layers)]
        cross_kv = [(past[4 * i + 2], past[4 * i + 3]) for i in range(layers)]
        logits, present = self.model.decode(decoder_input_ids, encoder_attention_mask, cross_kv, past_kv)
        return (logits, *[t for kv in present for t in kv])


def kv_names(prefix, layers, kinds):
    return [f"{prefix}.{i}.{kind}.{part}" for i in range(layers) for kind in kinds for part in ("key", "value")]


def export(model, out_dir):
    cfg = model.cfg
    layers = cfg.num_decoder_layers
    batch, src, tgt = 2, 5, 3
    ids = torch.ones((batch, src), dtype=torch.long)
    mask = torch.ones((batch, src), dtype=torch.long)
    hidden = torch.randn(batch, src, cfg.d_model)
    dec = torch.zeros((batch, tgt), dtype=torch.long)
    head = lambda n: torch.randn(batch, cfg.num_heads, n, cfg.d_kv)  # noqa: E731
    common = dict(opset_version=OPSET, do_constant_folding=True)

    torch.onnx.export(
        EncoderGraph(model), (ids, mask), os.path.join(out_dir, "encoder.onnx"),
        input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
        dynamic_axes={"input_ids": {0: "batch", 1: "src"}, "attention_mask": {0: "batch", 1: "src"},
                      "last_hidden_state": {0: "batch", 1: "src"}},
        **common,
    )

    present_self = kv_names("present", layers, ["decoder"])
    present_cross = kv_names("present", layers, ["encoder"])
    torch.onnx.export(
        DecoderGraph(model), (dec, mask, hidden), os.path.join(out_dir, "decoder.onnx"),
        input_names=["input_ids", "encoder_attention_mask", "encoder_hidden_states"],
        output_names=["logits", *present_self, *present_cross],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "tgt"}, "encoder_attention_mask": {0: "batch", 1: "src"},
            "encoder_hidden_states": {0: "batch", 1: "src"}, "logits": {0: "batch", 1: "tgt"},
            **{n: {0: "batch", 2: "tgt"} for n in present_self}, **{n: {0: "batch", 2: "src"} for n in present_cross},
        },
        **common,
    )

    past = kv_names("past_key_values", layers, ["decoder", "encoder"])
    past_tensors = [head(tgt) if ".decoder." in n else head(src) for n in past]
    torch.onnx.export(
        DecoderWithPastGraph(model), (dec[:, :1], mask, *past_tensors), os.path.join(out_dir, "decoder_with_past.onnx"),
        input_names=["input_ids", "encoder_attention_mask", *past],
        output_names=["logits", *present_self],
        dynamic_axes={
            "input_ids": {0: "batch"}, "encoder_attention_mask": {0: "batch", 1: "src"}, "logits": {0: "batch"},
            **{n: {0: "batch", 2: "past" if ".decoder." in n else "src"} for n in past},
            **{n: {0: "batch", 2: "past_plus_1"} for n in present_self},
        },
        **common,
    )


if __name__ == "__main__":
    model_dir, out_dir = sys.argv[1], sys.argv[2]
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    model = T5.from_pretrained(os.path.join(model_dir, "config.json"), os.path.join(model_dir, "model.safetensors"))
    model.eval()
    os.makedirs(out_dir, exist_ok=True)
    with torch.no_grad():
        export(model, out_dir)
