/**
 * The decoder-only benchmark's report (bench/causal.ts runs the engines): the table rows per engine
 * and clock, ratios against each peer, cross-checks between the engines and what was not measured
 * as asked.
 */
import {
  DECODE_STEPS,
  LORA,
  PROMPT_LEN,
  TRAIN_BATCH,
  TRAIN_LEN,
  type Run,
  type TrainMode,
} from './causal-spec';
import { rate, type Clock } from './report';

export const ENGINES = ['ours', 'torch', 'ort'] as const;
export type Engine = (typeof ENGINES)[number];
export const LABELS: Record<Engine, string> = {
  ours: 'ours (tfjs wasm)',
  torch: 'PyTorch (CPU)',
  ort: 'ORT-web (wasm)',
};
export type Results = Record<Engine, { infer: Run; full?: Run; lora?: Run }>;

interface Row {
  metric: string;
  /** The engine's phase and its value (rate or bytes), with a note when measured otherwise than asked. */
  value: (e: Engine, clock: Clock) => { value: number; spread?: number; note?: string } | string | undefined;
  format: (v: number) => string;
  timed: boolean;
}

export const int = (v: number) => Math.round(v).toLocaleString('en-US');
const mib = (v: number) => `${Math.round(v / 2 ** 20).toLocaleString('en-US')} MiB`;

function rows(results: Results): Row[] {
  const phase = (e: Engine, p: 'infer' | 'full' | 'lora') => results[e][p]?.value;
  const inference = (key: 'prefill' | 'decode', tokens: number) => (e: Engine, clock: Clock) =>
    rate(phase(e, 'infer')?.[key], clock, tokens);
  const train = (mode: TrainMode) => (e: Engine, clock: Clock) => {
    if (e === 'ort') return 'no training in onnxruntime-web';
    const r = phase(e, mode);
    if (!r?.train) return undefined;
    const t = rate(r.train, clock, r.train_batch! * TRAIN_LEN);
    const notes = [
      ...(r.train_recompute ? ['with recompute'] : []),
      ...(r.train_batch !== TRAIN_BATCH ? [`at batch ${r.train_batch}`] : []),
    ];
    return t && { ...t, ...(notes.length ? { note: notes.join(', ') } : {}) };
  };
  const bytes =
    (p: 'infer' | 'full' | 'lora', key: 'peak_rss_bytes' | 'peak_wasm_heap_bytes') => (e: Engine) => {
      const v = phase(e, p)?.[key];
      return v === undefined ? undefined : { value: v };
    };
  const loraName = `LoRA r ${LORA.r} on ${LORA.targets.join(', ')}`;
  return [
    {
      metric: `prefill tokens/s, batch 1 × ${PROMPT_LEN} (logits of the last position)`,
      value: inference('prefill', PROMPT_LEN),
      format: int,
      timed: true,
    },
    {
      metric: `greedy decode tokens/s with the KV cache, ${DECODE_STEPS} steps after ${PROMPT_LEN}`,
      value: inference('decode', DECODE_STEPS),
      format: (v) => v.toFixed(1),
      timed: true,
    },
    {
      metric: `train step tokens/s (forward + backward), all parameters, batch ${TRAIN_BATCH} × ${TRAIN_LEN}`,
      value: train('full'),
      format: int,
      timed: true,
    },
    {
      metric: `train step tokens/s (forward + backward), ${loraName}, batch ${TRAIN_BATCH} × ${TRAIN_LEN}`,
      value: train('lora'),
      format: int,
      timed: true,
    },
    {
      metric: 'peak RSS, inference process',
      value: bytes('infer', 'peak_rss_bytes'),
      format: mib,
      timed: false,
    },
    {
      metric: 'peak RSS, full train step process',
      value: bytes('full', 'peak_rss_bytes'),
      format: mib,
      timed: false,
    },
    {
      metric: 'peak RSS, LoRA train step process',
      value: bytes('lora', 'peak_rss_bytes'),
      format: mib,
      timed: false,
    },
    {
      metric: 'wasm heap at the end, full train step',
      value: bytes('full', 'peak_wasm_heap_bytes'),
      format: mib,
      timed: false,
    },
    {
      metric: 'wasm heap at the end, LoRA train step',
      value: bytes('lora', 'peak_wasm_heap_bytes'),
      format: mib,
      timed: false,
    },
  ];
}

function cell(row: Row, e: Engine, clock: Clock): string {
  const v = row.value(e, clock);
  if (v === undefined) return '–';
  if (typeof v === 'string') return v;
  const spread = v.spread !== undefined && v.spread >= 0.005 ? ` ±${Math.round(v.spread * 100)}%` : '';
  return `${row.format(v.value)}${spread}${v.note ? ` (${v.note})` : ''}`;
}

function ratio(row: Row, peer: Engine, clock: Clock): string {
  const a = row.value('ours', clock);
  const b = row.value(peer, clock);
  if (!a || !b || typeof a === 'string' || typeof b === 'string') return '–';
  const batchNote = a.note?.includes('at batch')
    ? ` (ours at batch ${a.note.match(/at batch (\d+)/)![1]})`
    : '';
  return `${row.timed ? '**' : ''}${(a.value / b.value).toFixed(2)}×${row.timed ? '**' : ''}${batchNote}`;
}

export function table(results: Results, clock: Clock, withMemory: boolean): string[] {
  return [
    `| measurement | ${ENGINES.map((e) => LABELS[e]).join(' | ')} | ours / PyTorch | ours / ORT-web |`,
    '|---|---:|---:|---:|---:|---:|',
    ...rows(results)
      .filter((row) => (withMemory || row.timed) && ENGINES.some((e) => row.value(e, clock) !== undefined))
      .map(
        (row) =>
          `| ${row.metric} | ${ENGINES.map((e) => cell(row, e, clock)).join(' | ')} | ` +
          `${ratio(row, 'torch', clock)} | ${ratio(row, 'ort', clock)} |`,
      ),
  ];
}

export function crossChecks(results: Results): string[] {
  const out: string[] = [];
  const tokens = ENGINES.map((e) => [e, results[e].infer.value?.greedy_tokens] as const).filter(([, t]) => t);
  if (tokens.length > 1) {
    const first = JSON.stringify(tokens[0]![1]);
    out.push(
      tokens.every(([, t]) => JSON.stringify(t) === first)
        ? `Greedy tokens on the bench model (the prefill's and ${DECODE_STEPS} cached steps) identical across ` +
            `${tokens.map(([e]) => LABELS[e]).join(', ')}: ${first}` +
            (new Set(tokens[0]![1]).size <= 3
              ? ' (random weights: the continuation repeats one token).'
              : '.')
        : `Greedy tokens differ: ${tokens.map(([e, t]) => `${LABELS[e]} ${JSON.stringify(t)}`).join('; ')}.`,
    );
  }
  const tops = ENGINES.map((e) => [e, results[e].infer.value?.prefill_top5] as const).filter(([, t]) => t);
  if (tops.length > 1) {
    const [, first] = tops[0]!;
    const sameIds = tops.every(([, t]) => JSON.stringify(t!.ids) === JSON.stringify(first!.ids));
    const worst = Math.max(
      ...tops.flatMap(([, t]) => t!.logits.map((v, i) => Math.abs(v - first!.logits[i]!))),
    );
    out.push(
      `Prefill, last position's 5 largest logits: ids ${sameIds ? 'identical' : 'differ'} across ` +
        `${tops.map(([e, t]) => (sameIds ? LABELS[e] : `${LABELS[e]} ${JSON.stringify(t!.ids)}`)).join(', ')}` +
        `${sameIds ? ` (${JSON.stringify(first!.ids)})` : ''}; max |logit − ${LABELS[tops[0]![0]]}'s| ${worst.toExponential(1)} ` +
        `(logits ${first!.logits.map((v) => v.toFixed(3)).join(', ')}).`,
    );
  }
  for (const mode of ['full', 'lora'] as const) {
    const losses = (['ours', 'torch'] as const)
      .map((e) => [e, results[e][mode]?.value] as const)
      .filter(([, r]) => r?.train_loss !== undefined);
    if (losses.length === 0) continue;
    out.push(
      `Train-step loss, ${mode === 'full' ? 'all parameters' : 'LoRA'} (first step): ` +
        losses
          .map(
            ([e, r]) =>
              `${LABELS[e]} ${r!.train_loss!.toFixed(6)} (batch ${r!.train_batch}, ${int(r!.trainable_parameters ?? 0)} trainable)`,
          )
          .join(', ') +
        '.',
    );
  }
  return out;
}

export function problems(results: Results): string[] {
  const out: string[] = [];
  for (const e of ENGINES) {
    for (const p of ['infer', 'full', 'lora'] as const) {
      const run = results[e][p];
      if (!run) continue;
      if (run.error)
        out.push(`${LABELS[e]}, ${p === 'infer' ? 'inference' : `${p} train step`}: failed: ${run.error}`);
      else if (run.value?.train_error && e !== 'ort')
        out.push(`${LABELS[e]}, ${p} train step: ${run.value.train_error}`);
    }
  }
  return out;
}
