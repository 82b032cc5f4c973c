"""The PyTorch peer of bench/causal.ts: a plain Llama (HF LlamaForCausalLM's eager math) on the CPU.

usage: /usr/bin/python3 causal_llama.py check FIXTURE_DIR              logits vs reference_tensors.safetensors
       /usr/bin/python3 causal_llama.py infer SPEC_JSON                prefill / decode timings, greedy tokens
       /usr/bin/python3 causal_llama.py train SPEC_JSON full|lora      one training step's forward + backward
each as one JSON line on stdout (each phase in its own process, so its peak RSS is its own).

Written for the benchmark from the formulas of modeling_llama.py: RMSNorm, rotate_half rotary,
repeat_kv GQA (expand + reshape), SiLU-gated MLP, a KV cache of concatenated keys/values, and PEFT's
LoRA (y = x·Wᵀ + (α/r)·(x·Aᵀ)·Bᵀ) on the modules an adapter file names. The causal mask is built
from the query positions and the key count only, so the same forward traces to ONNX
(causal_export_onnx.py) with a past of any length, 0 included.
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
        dtype = DTYPES[info["dtype"]]
        start, end = info["data_offsets"]
        count = (end - start) // np.dtype(dtype).itemsize
        array = np.frombuffer(data, dtype=dtype, count=count, offset=8 + n + start)
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
        # PEFT module path ("model.layers.0.self_attn.q_proj") -> (A [r, in], B [out, r], scale).
        self.lora = {}

    def set_lora(self, adapter, scale):
        """adapter: PEFT's adapter_model.safetensors tensors (base_model.model.{module}.lora_{A,B}.weight)."""
        prefix = "base_model.model."
        for name, a in adapter.items():
            if name.endswith(".lora_A.weight"):
                module = name[len(prefix) : -len(".lora_A.weight")]
                self.lora[module] = (a, adapter[f"{prefix}{module}.lora_B.weight"], scale)

    def proj(self, x, module):
        y = x @ self.w[f"{module}.weight"].T
        lora = self.lora.get(module)
        if lora is not None:
            a, b, scale = lora
            y = y + scale * ((x @ a.T) @ b.T)
        return y

    def norm(self, x, w):
        return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))

    @staticmethod
    def rotate_half(x):
        h = x.shape[-1] // 2
        return torch.cat((-x[..., h:], x[..., :h]), dim=-1)

    def repeat_kv(self, x):
        b, kvh, s, d = x.shape
        groups = self.heads // self.kv_heads
        return x[:, :, None].expand(b, kvh, groups, s, d).reshape(b, kvh * groups, s, d)

    def forward(self, ids, positions, cache=None):
        """ids, positions: [B, T]; cache: per layer (k, v) of earlier positions (any length, 0 too).
        Returns the final hidden states (after model.norm) and the cache including these positions."""
        w = self.w
        b, t = ids.shape
        h = w["model.embed_tokens.weight"][ids]
        angles = positions[:, :, None].float() * self.inv_freq[None, None, :]
        emb = torch.cat((angles, angles), dim=-1)
        cos, sin = emb.cos()[:, None], emb.sin()[:, None]
        mask = None
        new_cache = []
        for i in range(self.c["num_hidden_layers"]):
            p = f"model.layers.{i}"
            x = self.norm(h, w[f"{p}.input_layernorm.weight"])
            q = self.proj(x, f"{p}.self_attn.q_proj").reshape(b, t, self.heads, self.head_dim).transpose(1, 2)
            k = self.proj(x, f"{p}.self_attn.k_proj").reshape(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
            v = self.proj(x, f"{p}.self_attn.v_proj").reshape(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
            q = q * cos + self.rotate_half(q) * sin
            k = k * cos + self.rotate_half(k) * sin
            if cache is not None:
                k = torch.cat((cache[i][0], k), dim=2)
                v = torch.cat((cache[i][1], v), dim=2)
            new_cache.append((k, v))
            if mask is None:
                # Key j (0 .. past + t - 1) is hidden from a query at position p when j > p.
                keys = torch.arange(k.shape[2])
                hidden = keys[None, None, :] > positions[:, :, None]
                mask = torch.zeros(hidden.shape).masked_fill(hidden, torch.finfo(torch.float32).min)[:, None]
            scores = (q @ self.repeat_kv(k).transpose(2, 3)) / math.sqrt(self.head_dim) + mask
            a = (scores.softmax(-1) @ self.repeat_kv(v)).transpose(1, 2).reshape(b, t, self.heads * self.head_dim)
            h = h + self.proj(a, f"{p}.self_attn.o_proj")
            x = self.norm(h, w[f"{p}.post_attention_layernorm.weight"])
            gate = self.proj(x, f"{p}.mlp.gate_proj")
            up = self.proj(x, f"{p}.mlp.up_proj")
            h = h + self.proj(torch.nn.functional.silu(gate) * up, f"{p}.mlp.down_proj")
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


def peak_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def engine_name(spec):
    return f"PyTorch {torch.__version__} (CPU, {torch.get_num_threads()} thread(s), BLAS via the system libblas)"


def infer(spec_path):
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
        token = logits[:, -1].argmax(-1, keepdim=True)
        tokens = [token.item()]
        for s in range(spec["decodeSteps"]):
            h, cache = model.forward(token, torch.tensor([[n + s]]), cache)
            token = model.logits(h)[:, -1].argmax(-1, keepdim=True)
            tokens.append(token.item())
        return tokens

    with torch.no_grad():
        result = {"engine": engine_name(spec), "prefill": timed(prefill, spec["warmup"], spec["repeats"])}
        prefill_state = prefill()
        top = prefill_state[0][0, -1].topk(5)
        result["prefill_top5"] = {"ids": top.indices.tolist(), "logits": top.values.tolist()}
        result["decode"] = timed(decode, spec["warmup"], spec["repeats"])
        result["greedy_tokens"] = decode()
    result["peak_rss_bytes"] = peak_rss()
    print(json.dumps(result))


def train(spec_path, mode):
    """One training step's forward and backward (HF ForCausalLMLoss: labels shifted left, mean), no optimizer."""
    spec = json.load(open(spec_path))
    torch.set_num_threads(spec["threads"])
    model = load(spec["modelDir"])
    train_ids = torch.tensor(spec["trainIds"])
    train_positions = torch.arange(train_ids.shape[1])[None].expand(train_ids.shape[0], -1)
    if mode == "lora":
        model.set_lora(read_safetensors(spec["lora"]["file"]), spec["lora"]["alpha"] / spec["lora"]["r"])
        trainable = [t for a, b, _ in model.lora.values() for t in (a, b)]
    else:
        trainable = list(model.w.values())
    for w in trainable:
        w.requires_grad_(True)
    losses = []

    def step():
        for w in trainable:
            w.grad = None
        h, _ = model.forward(train_ids, train_positions)
        logits = model.logits(h)[:, :-1]
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), train_ids[:, 1:].reshape(-1))
        loss.backward()
        losses.append(loss.item())

    timing = timed(step, spec["trainWarmup"], spec["trainRepeats"])
    result = {
        "engine": engine_name(spec),
        "train": timing,
        "train_batch": train_ids.shape[0],
        "train_loss": losses[0],
        "trainable_parameters": sum(w.numel() for w in trainable),
        "peak_rss_bytes": peak_rss(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "train":
        train(sys.argv[2], sys.argv[3])
    else:
        {"check": check, "infer": infer}[command](sys.argv[2])
