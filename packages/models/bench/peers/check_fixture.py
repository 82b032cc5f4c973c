"""Checks the peer T5 against the shared reference fixtures: encoder states and logits within 1e-4,
loss within 1e-5, greedy tokens (decoded with the key/value cache) identical. Prints one JSON line;
exits 1 on a mismatch.

usage: /usr/bin/python3 check_fixture.py FIXTURE_MODEL_DIR [...]
"""

import json
import os
import sys

import torch

from t5 import T5, greedy_generate, load_safetensors, loss_fn


def check(model_dir):
    model = T5.from_pretrained(os.path.join(model_dir, "config.json"), os.path.join(model_dir, "model.safetensors"))
    model.eval()
    with open(os.path.join(model_dir, "reference.json")) as f:
        reference = json.load(f)
    expected = load_safetensors(os.path.join(model_dir, "reference_tensors.safetensors"))
    inputs = reference["inputs"]
    input_ids = torch.tensor(inputs["input_ids"])
    attention_mask = torch.tensor(inputs["attention_mask"])
    decoder_input_ids = torch.tensor(inputs["decoder_input_ids"])
    labels = torch.tensor(inputs["labels"])
    with torch.no_grad():
        encoded = model.encode(input_ids, attention_mask)
        logits = model(input_ids, attention_mask, decoder_input_ids)
        loss = loss_fn(logits, labels)
    greedy = reference["greedy_generation"]
    generated = greedy_generate(model, input_ids, attention_mask, greedy["max_new_tokens"]).tolist()
    new_tokens = [row[: row.index(1) + 1] if 1 in row else row for row in generated]
    result = {
        "model": os.path.basename(os.path.normpath(model_dir)),
        "encoder_max_abs_diff": (encoded - expected["encoder_last_hidden_state"]).abs().max().item(),
        "logits_max_abs_diff": (logits - expected["logits"]).abs().max().item(),
        "loss_abs_diff": abs(loss.item() - reference["loss"]),
        "greedy_tokens_identical": new_tokens == greedy["new_tokens"],
    }
    result["ok"] = (
        result["encoder_max_abs_diff"] <= 1e-4 and result["logits_max_abs_diff"] <= 1e-4 and result["loss_abs_diff"] <= 1e-5
        and result["greedy_tokens_identical"]
    )
    return result


if __name__ == "__main__":
    torch.set_num_threads(1)
    results = [check(d) for d in sys.argv[1:]]
    print(json.dumps(results))
    sys.exit(0 if all(r["ok"] for r in results) else 1)
