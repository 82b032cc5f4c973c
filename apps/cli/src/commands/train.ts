/** `flan train`: finetune a T5 on a mixture or JSONL examples (thin wiring over `@flan-ts/train/node`). */
import type { OptimizerName, ScheduleName } from '@flan-ts/train';
import type { Command } from 'commander';
import { backendFlag, integerFlag, numberFlag, threadsOption, type Backend } from '../flags';
import { CliError } from '../io';

interface TrainFlags {
  model: string;
  mixture?: string;
  data?: string;
  out: string;
  steps: number;
  batchSize: number;
  gradAccum: number;
  inputLength: number;
  targetLength: number;
  pack?: boolean;
  optimizer: string;
  lr: number;
  schedule: string;
  warmup: number;
  weightDecay: number;
  clipNorm: number;
  dropout?: number;
  lora?: string | true;
  recompute?: boolean;
  chatTemplate?: boolean;
  evalData?: string;
  evalEvery?: number;
  saveEvery?: number;
  keep: number;
  resume?: boolean;
  seed: number;
  backend: Backend;
  metrics?: string;
  exportHf?: string;
  progress?: boolean;
  logEvery: number;
}

const choice =
  (flag: string, values: readonly string[]) =>
  (value: string): string => {
    if (!values.includes(value))
      throw new CliError(`${flag} must be one of ${values.join(', ')}, got "${value}"`);
    return value;
  };

export function registerTrain(program: Command): void {
  threadsOption(program.command('train'))
    .description(
      'Finetune a T5 / Flan-T5 on a mixture or on JSONL {inputs, targets} / {input_ids, target_ids}: ' +
        'checkpoints, metrics JSONL, an HTML report and the final model (or LoRA adapter) in --out.',
    )
    .requiredOption('--model <dir|hub id>', 'Hugging Face T5 checkpoint to start from')
    .option('--mixture <mixture.json>', 'a mixture config (@flan-ts/templates)')
    .option(
      '--data <file.jsonl>',
      'examples: {inputs, targets} texts, {messages} (with --chat-template) or {input_ids, target_ids}',
    )
    .requiredOption('--out <dir>', 'where checkpoints, metrics, the report and the final model go')
    .option('--steps <n>', 'optimizer steps', integerFlag('--steps', 1), 100)
    .option(
      '--batch-size <n>',
      'examples (or packed rows) per micro-batch',
      integerFlag('--batch-size', 1),
      8,
    )
    .option('--grad-accum <k>', 'micro-batches per step (token-weighted)', integerFlag('--grad-accum', 1), 1)
    .option('--input-length <n>', 'encoder tokens per row (truncated)', integerFlag('--input-length', 1), 512)
    .option(
      '--target-length <n>',
      'decoder tokens per row (truncated)',
      integerFlag('--target-length', 1),
      128,
    )
    .option('--pack', 'pack several examples per row (seqio pack=True)')
    .option(
      '--optimizer <name>',
      'adafactor (Hugging Face), adafactor-t5x (the paper) or adamw',
      choice('--optimizer', ['adafactor', 'adafactor-t5x', 'adamw']),
      'adafactor-t5x',
    )
    .option('--lr <x>', 'learning rate', numberFlag('--lr'), 1e-3)
    .option(
      '--schedule <name>',
      'learning-rate schedule',
      choice('--schedule', ['constant', 'linear', 'cosine', 'rsqrt']),
      'constant',
    )
    .option('--warmup <n>', 'linear warmup steps', integerFlag('--warmup', 0), 0)
    .option('--weight-decay <w>', 'decoupled weight decay', numberFlag('--weight-decay'), 0)
    .option('--clip-norm <c>', 'global gradient-norm clipping (0: off)', numberFlag('--clip-norm'), 0)
    .option('--dropout <p>', "dropout rate (default: the model config's)", numberFlag('--dropout'))
    .option(
      '--lora [settings]',
      'LoRA instead of full finetuning, e.g. r=8,alpha=16,targets=q,v (default targets: q,v for T5, q_proj,v_proj for Llama/Qwen)',
    )
    .option(
      '--recompute',
      'recompute activations per sublayer in the backward pass (less memory, ~1/3 slower)',
    )
    .option(
      '--chat-template',
      "decoder-only models: examples as conversations through the model's chat template (loss on the reply)",
    )
    .option('--eval-data <file.jsonl>', 'held-out examples for the held-out loss')
    .option('--eval-every <n>', 'held-out loss every n steps', integerFlag('--eval-every', 1))
    .option(
      '--save-every <n>',
      'checkpoint every n steps (and always at the end)',
      integerFlag('--save-every', 1),
    )
    .option('--keep <k>', 'checkpoints kept', integerFlag('--keep', 1), 3)
    .option('--resume', 'continue from the newest checkpoint in --out')
    .option('--seed <s>', 'seed of data order, dropout and LoRA init', integerFlag('--seed', 0), 0)
    .option('--backend <name>', 'tfjs backend: wasm, cpu or webgpu', backendFlag, 'wasm' as Backend)
    .option('--metrics <file.jsonl>', 'metrics JSONL (default <out>/metrics.jsonl)')
    .option('--export-hf <dir>', 'also write the drawn examples and a Seq2SeqTrainer + PEFT script there')
    .option('--no-progress', 'no progress bar (it is drawn only on a terminal anyway)')
    .option(
      '--log-every <n>',
      'without a terminal, a loss line every n steps',
      integerFlag('--log-every', 1),
      10,
    )
    .action(async (flags: TrainFlags) => {
      const { runTraining, parseLoraFlag, RunConfigError } = await import('@flan-ts/train/node');
      let lora;
      try {
        lora = flags.lora === undefined ? undefined : parseLoraFlag(flags.lora === true ? '' : flags.lora);
      } catch (error) {
        if (error instanceof RunConfigError) throw new CliError(error.message);
        throw error;
      }
      const { progressReporter } = await import('../progress');
      const progress = flags.progress === false ? undefined : progressReporter('train');
      const controller = new AbortController();
      const stop = (signal: string) => {
        if (controller.signal.aborted) return;
        process.stderr.write(`\nflan train: ${signal}: saving a checkpoint, then stopping\n`);
        controller.abort();
      };
      const onSigint = () => stop('SIGINT');
      const onSigterm = () => stop('SIGTERM');
      process.on('SIGINT', onSigint);
      process.on('SIGTERM', onSigterm);
      try {
        const result = await runTraining(
          {
            model: flags.model,
            mixture: flags.mixture,
            data: flags.data,
            out: flags.out,
            steps: flags.steps,
            batchSize: flags.batchSize,
            gradAccum: flags.gradAccum,
            inputLength: flags.inputLength,
            targetLength: flags.targetLength,
            pack: flags.pack === true,
            optimizer: flags.optimizer as OptimizerName,
            learningRate: flags.lr,
            schedule: flags.schedule as ScheduleName,
            warmup: flags.warmup,
            weightDecay: flags.weightDecay,
            clipNorm: flags.clipNorm,
            dropout: flags.dropout,
            lora,
            ...(flags.recompute ? { recompute: true } : {}),
            ...(flags.chatTemplate ? { chatTemplate: true } : {}),
            evalData: flags.evalData,
            evalEvery: flags.evalEvery,
            saveEvery: flags.saveEvery,
            keep: flags.keep,
            seed: flags.seed,
            backend: flags.backend,
            metrics: flags.metrics,
            exportHf: flags.exportHf,
          },
          {
            resume: flags.resume === true,
            signal: controller.signal,
            // Without a terminal there is no bar: a line every --log-every steps shows the loss instead.
            onProgress: (p) => {
              if (progress !== undefined) progress.update(p);
              else if (p.step % flags.logEvery === 0 || p.step === p.steps) {
                process.stderr.write(`step ${p.step}/${p.steps}: loss ${p.loss.toFixed(4)}\n`);
              }
            },
            log: (line) => {
              progress?.interrupt();
              process.stderr.write(`${line}\n`);
            },
          },
        );
        progress?.stop();
        process.stderr.write(
          `flan train: ${result.stoppedBy === 'abort' ? 'stopped' : 'done'} at step ${result.step}` +
            `${result.lastLoss !== undefined ? `, loss ${result.lastLoss.toFixed(4)}` : ''}; ${result.summary}\n`,
        );
        if (result.stoppedBy === 'abort') process.exitCode = 130;
      } catch (error) {
        progress?.stop();
        throw error;
      } finally {
        process.off('SIGINT', onSigint);
        process.off('SIGTERM', onSigterm);
      }
    });
}
