/**
 * The hand-over to Python: a Hugging Face `Seq2SeqTrainer` (+ PEFT) script that continues a run on
 * the tools people scale with (`accelerate launch`, DeepSpeed) with the same model, optimizer,
 * schedule, lengths, batch and LoRA settings, reading the examples exactly as this trainer drew them.
 */

export interface HfExportConfig {
  /** The model directory or hub id the run started from. */
  model: string;
  /** File name of the examples JSONL beside the script. */
  dataFile: string;
  steps: number;
  batchSize: number;
  gradAccum: number;
  inputLength: number;
  targetLength: number;
  optimizer: 'adafactor' | 'adafactor-t5x' | 'adamw';
  learningRate: number;
  schedule: 'constant' | 'linear' | 'cosine' | 'rsqrt';
  warmup: number;
  weightDecay: number;
  /** Global-norm clipping (0 or undefined: none). */
  clipNorm?: number;
  dropout?: number;
  seed: number;
  lora?: { r: number; alpha: number; dropout: number; targetModules: readonly string[] | string };
  /** Packed rows have no Seq2SeqTrainer equivalent: the script then trains the same examples padded. */
  packed: boolean;
}

const py = (v: unknown): string => {
  if (v === undefined || v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(py).join(', ')}]`;
  throw new Error(`no Python literal for ${JSON.stringify(v)}`);
};

function optimizerCode(c: HfExportConfig): string {
  switch (c.optimizer) {
    case 'adafactor':
      return `Adafactor(params, lr=${py(c.learningRate)}, eps=(1e-30, 1e-3), clip_threshold=1.0, decay_rate=-0.8,
                      beta1=None, weight_decay=${py(c.weightDecay)}, scale_parameter=False, relative_step=False,
                      warmup_init=False)`;
    case 'adafactor-t5x':
      // transformers' closest match to t5x's Adafactor: the step scaled by the parameter RMS. It factors
      // every matrix, where t5x factors only those with both dims >= 128 (the update differs slightly).
      return `Adafactor(params, lr=${py(c.learningRate)}, eps=(1e-30, 1e-3), clip_threshold=1.0, decay_rate=-0.8,
                      beta1=None, weight_decay=${py(c.weightDecay)}, scale_parameter=True, relative_step=False,
                      warmup_init=False)`;
    case 'adamw':
      return `torch.optim.AdamW(params, lr=${py(c.learningRate)}, betas=(0.9, 0.999), eps=1e-8, weight_decay=${py(c.weightDecay)})`;
  }
}

function scheduleCode(c: HfExportConfig): string {
  const warm = c.warmup;
  switch (c.schedule) {
    case 'constant':
      return `get_constant_schedule_with_warmup(optimizer, num_warmup_steps=${warm})`;
    case 'linear':
      return `get_linear_schedule_with_warmup(optimizer, num_warmup_steps=${warm}, num_training_steps=${c.steps})`;
    case 'cosine':
      return `get_cosine_schedule_with_warmup(optimizer, num_warmup_steps=${warm}, num_training_steps=${c.steps})`;
    case 'rsqrt':
      return `get_inverse_sqrt_schedule(optimizer, num_warmup_steps=${Math.max(warm, 1)})`;
  }
}

/** The Python script's text. */
export function huggingFaceTrainScript(c: HfExportConfig): string {
  const lora = c.lora;
  return `#!/usr/bin/env python3
"""Continue a flan-ts run with Hugging Face Seq2SeqTrainer${lora ? ' + PEFT LoRA' : ''}.

Written by \`flan train --export-hf\`. ${py(c.dataFile)} holds the training examples in the order the
flan-ts trainer drew them; this script feeds them in that order (no shuffling), with the same model,
optimizer, schedule, lengths, batch and accumulation.${
    c.packed
      ? '\n\nThe flan-ts run packed several examples per row (seqio pack=True); Seq2SeqTrainer has no packing for\nencoder-decoder models, so here the same examples are padded per batch instead.'
      : ''
  }

Run on one device:      python3 train_hf.py --output_dir out
On several, or DeepSpeed: accelerate launch train_hf.py --output_dir out   (add --deepspeed ds_config.json)
"""
import argparse
import json
import os

import torch
from torch.utils.data import Dataset, SequentialSampler
from transformers import (
    Adafactor,
    AutoModelForSeq2SeqLM,
    AutoTokenizer,
    DataCollatorForSeq2Seq,
    Seq2SeqTrainer,
    Seq2SeqTrainingArguments,
    get_constant_schedule_with_warmup,
    get_cosine_schedule_with_warmup,
    get_inverse_sqrt_schedule,
    get_linear_schedule_with_warmup,
)

MODEL = ${py(c.model)}
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), ${py(c.dataFile)})
INPUT_LENGTH = ${c.inputLength}
TARGET_LENGTH = ${c.targetLength}


class DrawnExamples(Dataset):
    """The examples as flan-ts drew them: texts (eos appended by the tokenizer) or ids used as given."""

    def __init__(self, path, tokenizer):
        self.rows = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                record = json.loads(line)
                if "input_ids" in record:
                    inputs, targets = record["input_ids"], record["target_ids"]
                else:
                    inputs = tokenizer(record["inputs"]).input_ids
                    targets = tokenizer(text_target=record["targets"]).input_ids
                self.rows.append({"input_ids": inputs[:INPUT_LENGTH], "labels": targets[:TARGET_LENGTH]})

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        return self.rows[i]


class InOrderTrainer(Seq2SeqTrainer):
    """Seq2SeqTrainer that keeps the drawn order (it shuffles by default)."""

    def _get_train_sampler(self, *args, **kwargs):
        return SequentialSampler(self.train_dataset)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--output_dir", default="hf-output")
    parser.add_argument("--deepspeed", default=None)
    args = parser.parse_args()

    tokenizer = AutoTokenizer.from_pretrained(MODEL)
    model = AutoModelForSeq2SeqLM.from_pretrained(MODEL${c.dropout !== undefined ? `, dropout_rate=${py(c.dropout)}` : ''})
${
  lora
    ? `    from peft import LoraConfig, TaskType, get_peft_model

    model = get_peft_model(
        model,
        LoraConfig(
            task_type=TaskType.SEQ_2_SEQ_LM,
            r=${lora.r},
            lora_alpha=${py(lora.alpha)},
            lora_dropout=${py(lora.dropout)},
            target_modules=${py(typeof lora.targetModules === 'string' ? lora.targetModules : [...lora.targetModules])},
        ),
    )
`
    : ''
}
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = ${optimizerCode(c)}
    scheduler = ${scheduleCode(c)}

    training_args = Seq2SeqTrainingArguments(
        output_dir=args.output_dir,
        per_device_train_batch_size=${c.batchSize},
        gradient_accumulation_steps=${c.gradAccum},
        max_steps=${c.steps},
        max_grad_norm=${py(c.clipNorm ?? 0)},
        seed=${c.seed},
        logging_steps=1,
        save_steps=max(1, ${c.steps} // 10),
        report_to=[],
        remove_unused_columns=False,
        deepspeed=args.deepspeed,
    )
    trainer = InOrderTrainer(
        model=model,
        args=training_args,
        train_dataset=DrawnExamples(DATA, tokenizer),
        data_collator=DataCollatorForSeq2Seq(tokenizer, model=model, label_pad_token_id=-100),
        optimizers=(optimizer, scheduler),
    )
    trainer.train()
    trainer.save_model(args.output_dir)
    tokenizer.save_pretrained(args.output_dir)


if __name__ == "__main__":
    main()
`;
}
