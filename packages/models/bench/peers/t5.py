"""A plain T5 (v1.0 and v1.1 / Flan-T5) in PyTorch: the benchmark's peer, and the source of its ONNX graphs.

It follows Hugging Face T5 semantics (see ../shared/fixtures/README.md): pre-norm blocks, RMS norm, no
1/sqrt(d_kv) score scaling, relative position buckets in layer 0 of each stack shared by every layer,
key-padding masks, a causal decoder, and d_model^-0.5 scaling before a tied head. Hugging Face
transformers is not installed here, and a peer written from the same description keeps the comparison
about the runtime, not about one library's extras.
"""

import json
import math
import struct

import torch
import torch.nn.functional as F
from torch import nn

SAFETENSORS_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def load_safetensors(path):
    """Reads every tensor of a safetensors file as float32 straight into its tensor (no second copy)."""
    tensors = {}
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
        data_start = 8 + header_len
        for name, info in header.items():
            if name == "__metadata__":
                continue
            begin, end = info["data_offsets"]
            raw = torch.empty(end - begin, dtype=torch.uint8)
            f.seek(data_start + begin)
            if f.readinto(memoryview(raw.numpy())) != end - begin:
                raise ValueError(f"{path}: tensor {name} is truncated")
            tensors[name] = raw.view(SAFETENSORS_DTYPES[info["dtype"]]).reshape(info["shape"]).float()
    return tensors


class T5Config:
    def __init__(self, hf):
        self.vocab_size = hf["vocab_size"]
        self.d_model = hf["d_model"]
        self.d_kv = hf["d_kv"]
        self.d_ff = hf["d_ff"]
        self.num_heads = hf["num_heads"]
        self.num_layers = hf["num_layers"]
        self.num_decoder_layers = hf.get("num_decoder_layers", hf["num_layers"])
        self.num_buckets = hf.get("relative_attention_num_buckets", 32)
        self.max_distance = hf.get("relative_attention_max_distance", 128)
        self.eps = hf.get("layer_norm_epsilon", 1e-6)
        proj = hf.get("feed_forward_proj", "relu")
        self.is_gated = proj.startswith("gated-")
        self.activation = hf.get("dense_act_fn", proj.split("-")[-1])
        self.tie_word_embeddings = hf.get("tie_word_embeddings", True)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


ACTIVATIONS = {"relu": F.relu, "gelu_new": gelu_new, "gelu": F.gelu}


def relative_position_bucket(relative_position, bidirectional, num_buckets, max_distance):
    """Hugging Face's `_relative_position_bucket`: exact buckets for small distances, log-spaced beyond."""
    bucket = torch.zeros_like(relative_position)
    if bidirectional:
        num_buckets //= 2
        bucket = bucket + (relative_position > 0).long() * num_buckets
        distance = relative_position.abs()
    else:
        distance = -torch.clamp(relative_position, max=0)
    max_exact = num_buckets // 2
    # clamp(min=1) keeps log() finite for the exported graphs; those positions take the exact branch.
    large = max_exact + (
        torch.log(torch.clamp(distance, min=1).float() / max_exact)
        / math.log(max_distance / max_exact)
        * (num_buckets - max_exact)
    ).long()
    large = torch.clamp(large, max=num_buckets - 1)
    return bucket + torch.where(distance < max_exact, distance, large)


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


class Attention(nn.Module):
    def __init__(self, cfg, has_relative_bias, bidirectional):
        super().__init__()
        inner = cfg.num_heads * cfg.d_kv
        self.cfg, self.bidirectional = cfg, bidirectional
        self.q = nn.Linear(cfg.d_model, inner, bias=False)
        self.k = nn.Linear(cfg.d_model, inner, bias=False)
        self.v = nn.Linear(cfg.d_model, inner, bias=False)
        self.o = nn.Linear(inner, cfg.d_model, bias=False)
        if has_relative_bias:
            self.relative_attention_bias = nn.Embedding(cfg.num_buckets, cfg.num_heads)

    def heads(self, x):
        return x.view(x.shape[0], -1, self.cfg.num_heads, self.cfg.d_kv).transpose(1, 2)

    def position_bias(self, query_len, key_len, query_offset):
        """[1, heads, query_len, key_len]; query i sits at position query_offset + i."""
        query = torch.arange(query_len)[:, None] + query_offset
        key = torch.arange(key_len)[None, :]
        buckets = relative_position_bucket(key - query, self.bidirectional, self.cfg.num_buckets, self.cfg.max_distance)
        return self.relative_attention_bias(buckets).permute(2, 0, 1).unsqueeze(0)

    def project_kv(self, x):
        return self.heads(self.k(x)), self.heads(self.v(x))

    def forward(self, x, bias, key_value=None):
        """`bias` holds position bias plus mask; `key_value` is the (key, value) pair in [b, h, len, d_kv]."""
        q = self.heads(self.q(x))
        k, v = key_value
        scores = torch.matmul(q, k.transpose(-1, -2)) + bias
        weights = torch.softmax(scores.float(), dim=-1).type_as(scores)
        out = torch.matmul(weights, v).transpose(1, 2).reshape(x.shape[0], -1, self.cfg.num_heads * self.cfg.d_kv)
        return self.o(out)


class FeedForward(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.act = ACTIVATIONS[cfg.activation]
        self.is_gated = cfg.is_gated
        if cfg.is_gated:
            self.wi_0 = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
            self.wi_1 = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        else:
            self.wi = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.wo = nn.Linear(cfg.d_ff, cfg.d_model, bias=False)

    def forward(self, x):
        h = self.act(self.wi_0(x)) * self.wi_1(x) if self.is_gated else self.act(self.wi(x))
        return self.wo(h)


def key_padding_bias(attention_mask, dtype=torch.float32):
    """[batch, len] 1/0 mask to an additive [batch, 1, 1, len] bias."""
    return (1.0 - attention_mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min


class EncoderBlock(nn.Module):
    def __init__(self, cfg, index):
        super().__init__()
        self.self_norm = RMSNorm(cfg.d_model, cfg.eps)
        self.self_attention = Attention(cfg, index == 0, bidirectional=True)
        self.ff_norm = RMSNorm(cfg.d_model, cfg.eps)
        self.ff = FeedForward(cfg)

    def forward(self, x, bias):
        h = self.self_norm(x)
        x = x + self.self_attention(h, bias, self.self_attention.project_kv(h))
        return x + self.ff(self.ff_norm(x))


class DecoderBlock(nn.Module):
    def __init__(self, cfg, index):
        super().__init__()
        self.self_norm = RMSNorm(cfg.d_model, cfg.eps)
        self.self_attention = Attention(cfg, index == 0, bidirectional=False)
        self.cross_norm = RMSNorm(cfg.d_model, cfg.eps)
        self.cross_attention = Attention(cfg, False, bidirectional=False)
        self.ff_norm = RMSNorm(cfg.d_model, cfg.eps)
        self.ff = FeedForward(cfg)

    def forward(self, x, self_bias, cross_bias, cross_kv, past_kv=None):
        """Returns the new hidden state and this layer's self-attention (key, value), past included."""
        h = self.self_norm(x)
        k, v = self.self_attention.project_kv(h)
        if past_kv is not None:
            k, v = torch.cat([past_kv[0], k], dim=2), torch.cat([past_kv[1], v], dim=2)
        x = x + self.self_attention(h, self_bias, (k, v))
        x = x + self.cross_attention(self.cross_norm(x), cross_bias, cross_kv)
        return x + self.ff(self.ff_norm(x)), (k, v)


class T5(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.shared = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.encoder = nn.ModuleList(EncoderBlock(cfg, i) for i in range(cfg.num_layers))
        self.encoder_norm = RMSNorm(cfg.d_model, cfg.eps)
        self.decoder = nn.ModuleList(DecoderBlock(cfg, i) for i in range(cfg.num_decoder_layers))
        self.decoder_norm = RMSNorm(cfg.d_model, cfg.eps)
        if not cfg.tie_word_embeddings:
            self.lm_head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)

    @classmethod
    def from_pretrained(cls, config_path, weights_path):
        with open(config_path) as f:
            model = cls(T5Config(json.load(f)))
        model.load_hf_tensors(load_safetensors(weights_path))
        return model

    def load_hf_tensors(self, tensors):
        """Copies Hugging Face-named tensors in; every parameter must be found with its exact shape."""
        hf_names = {}
        for stack, blocks in (("encoder", self.encoder), ("decoder", self.decoder)):
            for i, block in enumerate(blocks):
                prefix = f"{stack}.block.{i}.layer"
                sublayers = [("0", "SelfAttention", block.self_norm, block.self_attention)]
                if stack == "decoder":
                    sublayers.append(("1", "EncDecAttention", block.cross_norm, block.cross_attention))
                for index, name, norm, attention in sublayers:
                    hf_names[f"{prefix}.{index}.layer_norm.weight"] = norm.weight
                    for p in "qkvo":
                        hf_names[f"{prefix}.{index}.{name}.{p}.weight"] = getattr(attention, p).weight
                    if hasattr(attention, "relative_attention_bias"):
                        hf_names[f"{prefix}.{index}.{name}.relative_attention_bias.weight"] = (
                            attention.relative_attention_bias.weight
                        )
                ff_index = "2" if stack == "decoder" else "1"
                hf_names[f"{prefix}.{ff_index}.layer_norm.weight"] = block.ff_norm.weight
                for p in ("wi_0", "wi_1", "wo") if self.cfg.is_gated else ("wi", "wo"):
                    hf_names[f"{prefix}.{ff_index}.DenseReluDense.{p}.weight"] = getattr(block.ff, p).weight
        hf_names["shared.weight"] = self.shared.weight
        hf_names["encoder.final_layer_norm.weight"] = self.encoder_norm.weight
        hf_names["decoder.final_layer_norm.weight"] = self.decoder_norm.weight
        if not self.cfg.tie_word_embeddings:
            hf_names["lm_head.weight"] = self.lm_head.weight
        with torch.no_grad():
            for name, param in hf_names.items():
                if name not in tensors:
                    raise KeyError(f"missing tensor {name}")
                if tuple(tensors[name].shape) != tuple(param.shape):
                    raise ValueError(f"tensor {name}: shape {tuple(tensors[name].shape)}, expected {tuple(param.shape)}")
                param.copy_(tensors[name])

    def encode(self, input_ids, attention_mask):
        x = self.shared(input_ids)
        n = input_ids.shape[1]
        bias = self.encoder[0].self_attention.position_bias(n, n, 0) + key_padding_bias(attention_mask)
        for block in self.encoder:
            x = block(x, bias)
        return self.encoder_norm(x)

    def cross_key_values(self, encoder_hidden_states):
        return [block.cross_attention.project_kv(encoder_hidden_states) for block in self.decoder]

    def decode(self, decoder_input_ids, encoder_attention_mask, cross_kv, past_kv=None):
        """Logits of the new positions and every layer's self-attention (key, value), past included."""
        x = self.shared(decoder_input_ids)
        new_len = decoder_input_ids.shape[1]
        past_len = past_kv[0][0].shape[2] if past_kv is not None else 0
        bias = self.decoder[0].self_attention.position_bias(new_len, past_len + new_len, past_len)
        if past_kv is None:
            causal = torch.triu(torch.ones(new_len, new_len, dtype=torch.bool), diagonal=1)
            bias = bias.masked_fill(causal, torch.finfo(torch.float32).min)
        cross_bias = key_padding_bias(encoder_attention_mask)
        present = []
        for i, block in enumerate(self.decoder):
            x, kv = block(x, bias, cross_bias, cross_kv[i], None if past_kv is None else past_kv[i])
            present.append(kv)
        return self.lm_logits(self.decoder_norm(x)), present

    def lm_logits(self, h):
        if self.cfg.tie_word_embeddings:
            return torch.matmul(h * self.cfg.d_model**-0.5, self.shared.weight.t())
        return self.lm_head(h)

    def forward(self, input_ids, attention_mask, decoder_input_ids):
        encoded = self.encode(input_ids, attention_mask)
        logits, _ = self.decode(decoder_input_ids, attention_mask, self.cross_key_values(encoded))
        return logits


def loss_fn(logits, labels):
    """Mean token cross-entropy, -100 ignored (as Hugging Face)."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)


@torch.no_grad()
def greedy_generate(model, input_ids, attention_mask, max_new_tokens, start_id=0, eos_id=1, pad_id=0):
    """Greedy decoding with the key/value cache; rows that emitted eos go on with pad (as HF generate).
    Returns [batch, steps] new tokens; stops early once every row has emitted eos."""
    cross_kv = model.cross_key_values(model.encode(input_ids, attention_mask))
    tokens = torch.full((input_ids.shape[0], 1), start_id, dtype=torch.long)
    finished = torch.zeros(input_ids.shape[0], dtype=torch.bool)
    past, steps = None, []
    for _ in range(max_new_tokens):
        logits, past = model.decode(tokens, attention_mask, cross_kv, past)
        tokens = logits[:, -1].argmax(-1).masked_fill(finished, pad_id)[:, None]
        steps.append(tokens)
        finished |= tokens[:, 0] == eos_id
        if bool(finished.all()):
            break
    return torch.cat(steps, dim=1)
