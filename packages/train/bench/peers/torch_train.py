"""The PyTorch peer of the train bench: the same recipe as ours on the CPU, one thread.

usage: /usr/bin/python3 torch_train.py CASE_JSON

The model is the plain T5 of packages/models/bench/peers/t5.py (Hugging Face T5 semantics), run with
segment-aware attention masks for packed rows (encoder self-attention, causal decoder self-attention
and cross-attention stay inside each segment, as seqio/t5x do). The optimizer is t5x's Adafactor
(t5x/adafactor.py as documented in shared/fixtures/README.md section 7) written in torch, in place,
per parameter. LoRA follows PEFT (y = x W^T + (alpha/r) x A^T B^T, A Kaiming-uniform, B zeros, base
frozen). Step split: forward = up to the loss, backward = loss.backward(), optimizer = the update.
Prints one JSON line (the CaseResult of bench/spec.ts).
"""

import json
import math
import os
import resource
import sys
import time

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "models", "bench", "peers"))

from t5 import T5, loss_fn  # noqa: E402

NEG = torch.finfo(torch.float32).min


class T5xAdafactor:
    """t5x Adafactor: multiply_by_parameter_scale, decay 0.8, clipping 1.0, beta1 None, no weight decay,
    factored only if rank >= 2 and the second-largest dim >= min_dim_size_to_factor."""

    def __init__(self, params, lr=1e-3, decay_rate=0.8, clipping_threshold=1.0, epsilon1=1e-30, epsilon2=1e-3,
                 min_dim_size_to_factor=128, step_offset=0):
        self.params = [p for p in params if p.requires_grad]
        self.lr, self.decay_rate, self.clip = lr, decay_rate, clipping_threshold
        self.eps1, self.eps2, self.min_dim, self.step_offset = epsilon1, epsilon2, min_dim_size_to_factor, step_offset
        self.step_count = 0
        self.state = []
        for p in self.params:
            dims = self._factored_dims(p.shape)
            if dims is None:
                self.state.append({"v": torch.zeros_like(p)})
            else:
                d1, d0 = dims
                row_shape = [s for i, s in enumerate(p.shape) if i != d0]
                col_shape = [s for i, s in enumerate(p.shape) if i != d1]
                self.state.append({"dims": dims, "v_row": torch.zeros(row_shape), "v_col": torch.zeros(col_shape)})

    def _factored_dims(self, shape):
        if len(shape) < 2:
            return None
        order = sorted(range(len(shape)), key=lambda i: shape[i])  # stable argsort
        if shape[order[-2]] < self.min_dim:
            return None
        return order[-2], order[-1]

    @torch.no_grad()
    def step(self):
        i = self.step_count
        decay = float(torch.tensor(1.0, dtype=torch.float32) - torch.tensor(float(i - self.step_offset + 1)) ** -self.decay_rate)
        mixing = 1.0 - decay
        for p, s in zip(self.params, self.state):
            g = p.grad
            param_scale = max(float(p.pow(2).mean().sqrt()), self.eps2)
            update_scale = self.lr * param_scale
            grad_sqr = g * g + self.eps1
            if "dims" in s:
                d1, d0 = s["dims"]
                v_row, v_col = s["v_row"], s["v_col"]
                v_row.mul_(decay).add_(grad_sqr.mean(dim=d0), alpha=mixing)
                v_col.mul_(decay).add_(grad_sqr.mean(dim=d1), alpha=mixing)
                row_factor = (v_row / v_row.mean()).rsqrt_().unsqueeze(d0)
                col_factor = v_col.rsqrt().unsqueeze(d1)
                y = g * row_factor * col_factor
            else:
                v = s["v"]
                v.mul_(decay).add_(grad_sqr, alpha=mixing)
                y = g * v.rsqrt()
            clip = max(1.0, float(y.pow(2).mean().sqrt()) / self.clip)
            p.add_(y, alpha=-update_scale / clip)
        self.step_count += 1

    def zero_grad(self):
        for p in self.params:
            p.grad = None


class LoraLinear(nn.Module):
    """PEFT's LoRA Linear (no dropout, no bias): the base weight frozen, A [r, in], B [out, r]."""

    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base
        self.base.weight.requires_grad_(False)
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.scale = alpha / r

    def forward(self, x):
        return self.base(x) + (x @ self.lora_A.t() @ self.lora_B.t()) * self.scale


def apply_lora(model, r, alpha, targets):
    for p in model.parameters():
        p.requires_grad_(False)
    for blocks in (model.encoder, model.decoder):
        for block in blocks:
            attentions = [block.self_attention] + ([block.cross_attention] if hasattr(block, "cross_attention") else [])
            for attention in attentions:
                for name in targets:
                    setattr(attention, name, LoraLinear(getattr(attention, name), r, alpha))


def forward_loss(model, batch):
    """Teacher-forced mean token loss, with segment masks when the batch is packed."""
    input_ids = torch.tensor(batch["input_ids"])
    mask = torch.tensor(batch["attention_mask"])
    decoder_input_ids = torch.tensor(batch["decoder_input_ids"])
    labels = torch.tensor(batch["labels"])
    n, t = input_ids.shape[1], decoder_input_ids.shape[1]
    enc_attn = model.encoder[0].self_attention
    dec_attn = model.decoder[0].self_attention
    causal = torch.tril(torch.ones(t, t, dtype=torch.bool))
    if "encoder_segment_ids" in batch:
        es = torch.tensor(batch["encoder_segment_ids"])
        ds = torch.tensor(batch["decoder_segment_ids"])
        enc_allowed = (es[:, :, None] == es[:, None, :]) & (es[:, None, :] != 0)
        dec_allowed = (ds[:, :, None] == ds[:, None, :]) & causal
        cross_allowed = (ds[:, :, None] == es[:, None, :]) & (es[:, None, :] != 0)
    else:
        keys = mask[:, None, :].bool()
        enc_allowed = keys.expand(-1, n, -1)
        dec_allowed = causal[None].expand(input_ids.shape[0], -1, -1)
        cross_allowed = keys.expand(-1, t, -1)

    def bias(allowed):
        return torch.zeros(allowed.shape).masked_fill_(~allowed, NEG)[:, None]

    x = model.shared(input_ids)
    enc_bias = enc_attn.position_bias(n, n, 0) + bias(enc_allowed)
    for block in model.encoder:
        x = block(x, enc_bias)
    encoded = model.encoder_norm(x)
    cross_kv = model.cross_key_values(encoded)
    y = model.shared(decoder_input_ids)
    self_bias = dec_attn.position_bias(t, t, 0) + bias(dec_allowed)
    cross_bias = bias(cross_allowed)
    for i, block in enumerate(model.decoder):
        y, _ = block(y, self_bias, cross_bias, cross_kv[i])
    logits = model.lm_logits(model.decoder_norm(y))
    return loss_fn(logits, labels)


def tokens(micro):
    useful = shape = 0
    for b in micro:
        useful += sum(map(sum, b["attention_mask"])) + sum(1 for row in b["labels"] for l in row if l != -100)
        shape += len(b["input_ids"]) * (len(b["input_ids"][0]) + len(b["labels"][0]))
    return useful, shape


def main(case_path):
    torch.set_num_threads(1)
    torch.manual_seed(1)
    with open(case_path) as f:
        case = json.load(f)
    model = T5.from_pretrained(case["config"], case["weights"])
    model.train(False)  # no dropout in this T5 anyway; the same deterministic step as ours
    if case.get("lora"):
        lora = case["lora"]
        apply_lora(model, lora["r"], lora["alpha"], lora["targetModules"])
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = T5xAdafactor(params, lr=case["learningRate"])
    result = {
        "engine": f"PyTorch {torch.__version__} (Debian, CPU, 1 thread)",
        "case": case["name"],
        "losses": [],
        "timings": [],
        "useful_tokens": [],
        "shape_tokens": [],
        "trainable_parameters": sum(p.numel() for p in params),
    }
    try:
        for i, micro in enumerate(case["steps"]):
            counts = [sum(1 for row in b["labels"] for l in row if l != -100) for b in micro]
            total = sum(counts)
            fwd = bwd = 0.0
            wall, cpu = time.perf_counter(), time.process_time()
            loss_value = 0.0
            for b, count in zip(micro, counts):
                t0 = time.perf_counter()
                loss = forward_loss(model, b) * (count / total)  # token-weighted accumulation
                t1 = time.perf_counter()
                loss.backward()
                t2 = time.perf_counter()
                fwd, bwd = fwd + t1 - t0, bwd + t2 - t1
                loss_value += float(loss)
            t3 = time.perf_counter()
            optimizer.step()
            optimizer.zero_grad()
            opt = time.perf_counter() - t3
            timing = {"step_s": time.perf_counter() - wall, "forward_s": fwd, "backward_s": bwd, "optimizer_s": opt,
                      "cpu_s": time.process_time() - cpu}
            result["losses"].append(loss_value)
            print(f"[torch {case['name']}] step {i + 1}/{len(case['steps'])}: loss {loss_value:.4f}, "
                  f"{timing['step_s']:.1f} s", file=sys.stderr, flush=True)
            if i < case["warmup"]:
                continue
            useful, shape = tokens(micro)
            result["timings"].append(timing)
            result["useful_tokens"].append(useful)
            result["shape_tokens"].append(shape)
    except RuntimeError as error:  # e.g. out of memory
        result["error"] = str(error).split("\n")[0][:200]
    result["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])
