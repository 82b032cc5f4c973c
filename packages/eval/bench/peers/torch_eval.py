"""The PyTorch peer of `npm run bench -w @flan-ts/eval`: a minimal evaluation loop over the same
token ids, batches and generation settings as ours, on the models bench's plain T5 (t5.py), one thread.

usage: /usr/bin/python3 torch_eval.py CASE_JSON
CASE_JSON (written by bench/run.ts): the model's config and weights, and per case its batches of
encoder ids. `generate` cases decode greedily with the key/value cache until every row has emitted
eos or max_new_tokens; `rank` cases encode each batch once and score every option by teacher forcing
(summed log-probabilities, as lm-evaluation-harness's loglikelihood requests), the most likely wins.
One JSON line on stdout: per case, wall and CPU seconds, examples and new tokens.
"""

import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../../models/bench/peers"))
from t5 import T5, greedy_generate  # noqa: E402


def padded(batch, pad_id=0):
    width = max(len(ids) for ids in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, row in enumerate(batch):
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    return ids, mask


@torch.no_grad()
def rank(model, batch, options):
    """Index of the most likely option per row."""
    ids, mask = padded(batch)
    encoded = model.encode(ids, mask)
    n = len(options)
    cross = model.cross_key_values(encoded.repeat_interleave(n, dim=0))
    rows_mask = mask.repeat_interleave(n, dim=0)
    width = max(len(o) for o in options)
    labels = torch.full((len(batch) * n, width), -100, dtype=torch.long)
    for r in range(len(batch)):
        for j, o in enumerate(options):
            labels[r * n + j, : len(o)] = torch.tensor(o)
    decoder_input = torch.cat([torch.zeros((labels.shape[0], 1), dtype=torch.long), labels[:, :-1].clamp(min=0)], 1)
    logits, _ = model.decode(decoder_input, rows_mask, cross)
    logp = F.log_softmax(logits, -1).gather(-1, labels.clamp(min=0)[..., None])[..., 0]
    sums = (logp * (labels != -100)).sum(-1).view(len(batch), n)
    return sums.argmax(-1).tolist()


def main(path):
    with open(path) as f:
        spec = json.load(f)
    torch.set_num_threads(1)
    model = T5.from_pretrained(spec["config"], spec["weights"])
    model.eval()
    blas = os.path.basename(os.path.dirname(os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")))
    out = {"engine": f"PyTorch {torch.__version__} (CPU, 1 thread, BLAS: {blas})", "cases": {}}
    # Warm-up: one small batch of each kind, not timed.
    first = spec["cases"][0]["batches"][0][:1]
    greedy_generate(model, *padded(first), 2)
    rank(model, first, spec["options"])
    for case in spec["cases"]:
        wall, cpu = time.perf_counter(), time.process_time()
        new_tokens = 0
        for batch in case["batches"]:
            if case["kind"] == "rank":
                rank(model, batch, spec["options"])
            else:
                tokens = greedy_generate(model, *padded(batch), case["max_new_tokens"])
                new_tokens += tokens.shape[0] * tokens.shape[1]
        out["cases"][case["name"]] = {
            "wall_s": time.perf_counter() - wall,
            "cpu_s": time.process_time() - cpu,
            "examples": sum(len(b) for b in case["batches"]),
            "new_tokens": new_tokens,
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
