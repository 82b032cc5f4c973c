"""Exports the peer Llama (causal_llama.py) to the ONNX graph that onnxruntime-web runs in
bench/causal.ts, in the layout Optimum / transformers.js use for decoder-only models (one merged
graph: the first step passes a past of length 0):

  model.onnx  input_ids [batch, seq] int64, position_ids [batch, seq] int64,
              past_key_values.{i}.key / .value [batch, kv_heads, past, head_dim] float32
              -> logits [batch, 1, vocab] (the last position only, as the benchmark's prefill and
                 greedy decoding need), present.{i}.key / .value [batch, kv_heads, past + seq, head_dim]

No attention_mask input: the benchmark runs batch 1 without padding, and the causal mask comes from
the position ids. The weights are the peer's (the model directory's model.safetensors, HF layout).

usage: /usr/bin/python3 causal_export_onnx.py MODEL_DIR OUT_FILE
"""

import os
import sys
import warnings

import torch
from torch import nn

from causal_llama import load

OPSET = 14


class Graph(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, position_ids, *past):
        layers = self.model.c["num_hidden_layers"]
        cache = [(past[2 * i], past[2 * i + 1]) for i in range(layers)]
        h, present = self.model.forward(input_ids, position_ids, cache)
        return (self.model.logits(h[:, -1:]), *[t for kv in present for t in kv])


def export(model, out_file):
    layers = model.c["num_hidden_layers"]
    batch, seq, past_len = 1, 3, 2
    ids = torch.ones((batch, seq), dtype=torch.long)
    positions = (torch.arange(seq) + past_len)[None]
    past_names = [f"past_key_values.{i}.{part}" for i in range(layers) for part in ("key", "value")]
    present_names = [f"present.{i}.{part}" for i in range(layers) for part in ("key", "value")]
    past = [torch.randn(batch, model.kv_heads, past_len, model.head_dim) for _ in past_names]
    torch.onnx.export(
        Graph(model), (ids, positions, *past), out_file,
        input_names=["input_ids", "position_ids", *past_names],
        output_names=["logits", *present_names],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "seq"}, "position_ids": {0: "batch", 1: "seq"}, "logits": {0: "batch"},
            **{n: {0: "batch", 2: "past"} for n in past_names},
            **{n: {0: "batch", 2: "past_plus_seq"} for n in present_names},
        },
        opset_version=OPSET, do_constant_folding=True,
    )


if __name__ == "__main__":
    model_dir, out_file = sys.argv[1], sys.argv[2]
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    model = load(model_dir)
    os.makedirs(os.path.dirname(os.path.abspath(out_file)), exist_ok=True)
    with torch.no_grad():
        export(model, out_file)
