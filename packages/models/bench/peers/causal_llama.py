"""The PyTorch peer of bench/causal.ts: a plain Llama (HF LlamaForCausalLM's eager math) on the CPU.

usage: /usr/bin/python3 causal_llama.py check FIXTURE_DIR      logits vs reference_tensors.safetensors
       /usr/bin/python3 causal_llama.py bench SPEC_JSON        prefill / decode timings as one JSON line

Written for the benchmark from the formulas of modeling_llama.py: RMSNorm, rotate_half rotary,
repeat_kv GQA, SiLU-gated MLP, a KV cache of concatenated keys/values.
"""

import json
import math
import resource
import struct
import sys
import time

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F16": np.float16}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(data, dtype=DTYPES[info["dtype"]], count=(end - start) // 4, offset=8 + n + start)
        out[name] = torch.from_numpy(array.reshape(info["shape"]).astype(np.float32))
    return out


class Llama:
    def __init__(self, config, weights):
        self.c = config
        self.w = weights
        self.heads = config["num_attention_heads"]
        self.kv_heads = config["num_key_value_heads"]
        self.head_dim = config.get("head_dim") or config["hidden_size"] // self.heads
        self.eps = config["rms_norm_eps"]
        d = self.head_dim
        self.inv_freq = 1.0 / (config["rope_theta"] ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
        self.head = weights["model.embed_tokens.weight"] if config.get("tie_word_embeddings") else weights["lm_head.weight"]

    def norm(self, x, w):
        return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))

    @staticmethod
    def rotate_half(x):
        h = x.shape[-1] // 2
        return torch.cat((-x[..., h:], x[..., :h]), dim=-1)

    def forward(self, ids, positions, cache=None):
        """ids, positions: [B, T]; cache: per layer (k, v) of earlier positions. Returns last logits and the cache."""
        w, (b, t) = self.w, ids.shape
        h = w["model.embed_tokens.weight"][ids]
        angles = positions[:, :, None].float() * self.inv_freq[None, None, :]
        emb = torch.cat((angles, angles), dim=-1)
        cos, sin = emb.cos()[:, None], emb.sin()[:, None]
        past = 0 if cache is None else cache[0][0].shape[2]
        mask = torch.full((t, past + t), torch.finfo(torch.float32).min).triu(past + 1)
        new_cache = []
        groups = self.heads // self.kv_heads
        for i in range(self.c["num_hidden_layers"]):
            p = f"model.layers.{i}"
            x = self.norm(h, w[f"{p}.input_layernorm.weight"])
            q = (x @ w[f"{p}.self_attn.q_proj.weight"].T).view(b, t, self.heads, -1).transpose(1, 2)
            k = (x @ w[f"{p}.self_attn.k_proj.weight"].T).view(b, t, self.kv_heads, -1).transpose(1, 2)
            v = (x @ w[f"{p}.self_attn.v_proj.weight"].T).view(b, t, self.kv_heads, -1).transpose(1, 2)
            q = q * cos + self.rotate_half(q) * sin
            k = k * cos + self.rotate_half(k) * sin
            if cache is not None:
                k = torch.cat((cache[i][0], k), dim=2)
                v = torch.cat((cache[i][1], v), dim=2)
            new_cache.append((k, v))
            kr = k.repeat_interleave(groups, dim=1)
            vr = v.repeat_interleave(groups, dim=1)
            scores = (q @ kr.transpose(2, 3)) / math.sqrt(self.head_dim) + mask
            a = (scores.softmax(-1) @ vr).transpose(1, 2).reshape(b, t, -1)
            h = h + a @ w[f"{p}.self_attn.o_proj.weight"].T
            x = self.norm(h, w[f"{p}.post_attention_layernorm.weight"])
            gate = x @ w[f"{p}.mlp.gate_proj.weight"].T
            up = x @ w[f"{p}.mlp.up_proj.weight"].T
            h = h + (torch.nn.functional.silu(gate) * up) @ w[f"{p}.mlp.down_proj.weight"].T
        h = self.norm(h, w["model.norm.weight"])
        return h, new_cache

    def logits(self, h):
        return h @ self.head.T


def load(directory):
    with open(f"{directory}/config.json") as f:
        config = json.load(f)
    return Llama(config, read_safetensors(f"{directory}/model.safetensors"))


def check(directory):
    model = load(directory)
    ref = json.load(open(f"{directory}/reference.json"))
    expected = read_safetensors(f"{directory}/reference_tensors.safetensors")["logits"]
    ids = torch.tensor(ref["inputs"]["input_ids"])
    # The rows are right-padded: real positions do not read padding, so compare those.
    positions = torch.arange(ids.shape[1])[None].expand(ids.shape[0], -1)
    with torch.no_grad():
        logits = model.logits(model.forward(ids, positions)[0])
    worst = 0.0
    for r, n in enumerate(ref["inputs"]["lengths"]):
        worst = max(worst, (logits[r, :n] - expected[r, :n]).abs().max().item())
    print(json.dumps({"max_abs_diff": worst}))
    if worst > 1e-4:
        sys.exit(f"the PyTorch peer disagrees with {directory}: {worst}")


def timed(fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    out = {"wall_s": [], "cpu_s": []}
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        out["cpu_s"].append(time.process_time() - cpu)
        out["wall_s"].append(time.perf_counter() - wall)
    return out


def bench(spec_path):
    spec = json.load(open(spec_path))
    torch.set_num_threads(spec["threads"])
    model = load(spec["modelDir"])
    prompt = torch.tensor([spec["promptIds"]])
    n = prompt.shape[1]
    positions = torch.arange(n)[None]

    def prefill():
        h, cache = model.forward(prompt, positions)
        return model.logits(h[:, -1:]), cache

    def decode():
        logits, cache = prefill_state
        token = logits.argmax(-1)
        for s in range(spec["decodeSteps"]):
            h, cache = model.forward(token, torch.tensor([[n + s]]), cache)
            token = model.logits(h).argmax(-1)

    with torch.no_grad():
        result = {"prefill": timed(prefill, spec["warmup"], spec["repeats"])}
        prefill_state = prefill()
        result["decode"] = timed(decode, spec["warmup"], spec["repeats"])

    # One training step's forward and backward (HF ForCausalLMLoss: labels shifted left, mean).
    train_ids = torch.tensor(spec["trainIds"])
    train_positions = torch.arange(train_ids.shape[1])[None].expand(train_ids.shape[0], -1)
    for w in model.w.values():
        w.requires_grad_(True)

    def train_step():
        for w in model.w.values():
            w.grad = None
        h, _ = model.forward(train_ids, train_positions)
        logits = model.logits(h)[:, :-1]
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), train_ids[:, 1:].reshape(-1))
        loss.backward()

    result["train"] = timed(train_step, 1, spec["trainRepeats"])
    result["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(result))


if __name__ == "__main__":
    {"check": check, "bench": bench}[sys.argv[1]](sys.argv[2])
