"""The PyTorch peer of `npm run bench`: the plain T5 of t5.py on the CPU, one thread.

usage: /usr/bin/python3 torch_bench.py SPEC_JSON
SPEC_JSON (written by bench/run.ts) names the model directory, the inputs and the repetitions; the
result is one JSON line on stdout: seconds per timed run for every measurement, and peak RSS.
"""

import json
import os
import resource
import sys
import time

import torch

from t5 import T5, loss_fn


def timed(fn, warmup, repeats):
    """Seconds per timed run after warm-up: wall-clock and the process's CPU time (see bench/spec.ts)."""
    for _ in range(warmup):
        fn()
    timing = {"wall_s": [], "cpu_s": []}
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        timing["cpu_s"].append(time.process_time() - cpu)
        timing["wall_s"].append(time.perf_counter() - wall)
    return timing


def peak_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main(spec_path, threads):
    with open(spec_path) as f:
        spec = json.load(f)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = T5.from_pretrained(spec["config"], spec["weights"])
    # Debian's torch has no bundled BLAS: its matmuls go to the system libblas (see tools/system-deps.sh).
    blas = os.path.basename(os.path.dirname(os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")))
    result = {
        "engine": f"PyTorch {torch.__version__} (CPU, {torch.get_num_threads()} thread(s), BLAS: {blas})",
        "rss_after_load_bytes": peak_rss_bytes(),
        "timings": {},
    }
    inputs = spec["inputs"]
    input_ids = torch.tensor(inputs["input_ids"])
    attention_mask = torch.ones_like(input_ids)
    decoder_input_ids = torch.tensor(inputs["decoder_input_ids"])
    labels = torch.tensor(inputs["labels"])
    warmup, repeats = spec["warmup"], spec["repeats"]

    model.eval()
    with torch.no_grad():
        for batch in spec["encoder_batches"]:
            ids, mask = input_ids[:batch], attention_mask[:batch]
            result["timings"][f"encoder_b{batch}"] = timed(lambda: model.encode(ids, mask), warmup, repeats)

        ids, mask = input_ids[:1], attention_mask[:1]
        encoded = model.encode(ids, mask)
        result["encoder_checksum"] = encoded.sum().item()

        def greedy():
            # Fixed length (no eos stop) so every engine decodes the same number of steps.
            cross_kv = model.cross_key_values(encoded)
            token, past, tokens = torch.zeros((1, 1), dtype=torch.long), None, []
            for _ in range(spec["decode_new_tokens"]):
                logits, past = model.decode(token, mask, cross_kv, past)
                token = logits[:, -1].argmax(-1, keepdim=True)
                tokens.append(token.item())
            return tokens

        result["timings"]["greedy_decode"] = timed(greedy, warmup, repeats)
        result["greedy_tokens"] = greedy()

    model.train()
    batch = spec["train_batch"]
    ids, mask = input_ids[:batch], attention_mask[:batch]
    dec, lab = decoder_input_ids[:batch], labels[:batch]

    def train_step():
        model.zero_grad(set_to_none=True)
        loss = loss_fn(model(ids, mask, dec), lab)
        loss.backward()
        return loss

    result["train_loss"] = train_step().item()  # the first warm-up step
    result["timings"]["train_step"] = timed(train_step, spec["train_warmup"] - 1, spec["train_repeats"])
    result["train_batch"] = batch
    result["peak_rss_bytes"] = peak_rss_bytes()
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1)
