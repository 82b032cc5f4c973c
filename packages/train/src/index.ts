// @flan-ts/train: instruction finetuning of T5 / Flan-T5 (browser-safe; files and signals are in ./node).
export {};
