/** The train bench's markdown: one table per measurement with ratios ours/PyTorch, the targets, notes. */
import { cpus, totalmem } from 'node:os';
import type { CaseResult, StepTiming } from './spec';

export type Engine = 'ours' | 'torch';
export type CaseRuns = Record<string, Partial<Record<Engine, CaseResult | { error: string }>>>;

const WASM_HEAP_MAX = 4294901760;

const LABELS: Record<string, string> = {
  'full-padded': 'full finetuning, padded (8 × 512 → 128)',
  'full-packed': 'full finetuning, packed (8 rows × 512 → 128)',
  'full-accum64': 'full finetuning, 8 × 8 accumulated (effective batch 64), padded',
  'lora-small': 'LoRA r=8 q,v, flan-t5-small, padded (8 × 512 → 128)',
  'lora-base': 'LoRA r=8 q,v, flan-t5-base shapes, padded (8 × 512 → 128)',
};

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const int = (v: number) => Math.round(v).toLocaleString('en-US');
const mib = (v: number | undefined) => (v === undefined ? '–' : `${int(v / 2 ** 20)} MiB`);
const fixed = (v: number, digits = 2) => v.toFixed(digits);

function ok(r: CaseResult | { error: string } | undefined): CaseResult | undefined {
  return r && 'losses' in r && r.timings.length > 0 ? r : undefined;
}

/** Useful (non-padding) tokens per second over all timed steps, by wall-clock and by CPU time. */
function rates(r: CaseResult) {
  const tokens = sum(r.useful_tokens);
  return {
    wall: tokens / sum(r.timings.map((t) => t.step_s)),
    cpu: tokens / sum(r.timings.map((t) => t.cpu_s)),
    padding: 1 - tokens / sum(r.shape_tokens),
  };
}

/** Mean seconds of each part of a step. */
function split(r: CaseResult) {
  const mean = (key: keyof StepTiming) => sum(r.timings.map((t) => t[key])) / r.timings.length;
  return { step: mean('step_s'), fwd: mean('forward_s'), bwd: mean('backward_s'), opt: mean('optimizer_s') };
}

function splitText(r: CaseResult | undefined): string {
  if (!r) return '–';
  const s = split(r);
  return `${fixed(s.step, 1)} (${fixed(s.fwd, 1)} / ${fixed(s.bwd, 1)} / ${fixed(s.opt, 2)})`;
}

function errorOf(r: CaseResult | { error: string } | undefined): string | undefined {
  if (!r) return undefined;
  return r.error;
}

export interface ReportOptions {
  quick: boolean;
  accum: number;
  notes: string[];
}

export function renderTable(runs: CaseRuns, options: ReportOptions): string {
  const lines: string[] = [];
  lines.push('# @flan-ts/train benchmark: finetuning, ours vs PyTorch (CPU, one thread each)', '');
  lines.push(
    '| case | ours tokens/s | PyTorch tokens/s | ours/PyTorch (wall) | ours/PyTorch (CPU time) | ours step s (fwd / bwd / opt) | PyTorch step s (fwd / bwd / opt) | ours optimizer share | ours peak wasm heap | PyTorch peak RSS | padding | loss at step 1 (ours / PyTorch) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const [name, engines] of Object.entries(runs)) {
    const ours = ok(engines.ours);
    const torch = ok(engines.torch);
    const o = ours && rates(ours);
    const t = torch && rates(torch);
    const share = ours ? split(ours).opt / split(ours).step : undefined;
    const loss = (r: CaseResult | undefined) => (r ? fixed(r.losses[0]!, 5) : '–');
    lines.push(
      `| ${LABELS[name] ?? name} | ${o ? int(o.wall) : '–'} | ${t ? int(t.wall) : '–'} | ${o && t ? fixed(o.wall / t.wall) : '–'} | ${o && t ? fixed(o.cpu / t.cpu) : '–'} | ${splitText(ours)} | ${splitText(torch)} | ${share === undefined ? '–' : `${fixed(100 * share, 1)} %`} | ${mib(engines.ours && 'losses' in engines.ours ? engines.ours.peak_wasm_heap_bytes : undefined)} | ${mib(engines.torch && 'losses' in engines.torch ? engines.torch.peak_rss_bytes : undefined)} | ${(o ?? t) ? `${fixed(100 * (o ?? t)!.padding, 0)} %` : '–'} | ${loss(ours)} / ${loss(torch)} |`,
    );
  }
  lines.push('');
  lines.push(
    'Tokens/s are useful tokens (encoder tokens with attention mask 1 plus target tokens with a loss, i.e. no padding) per second of a whole optimizer step, summed over the timed steps. The step split is the mean seconds of the forward pass (to the loss), the backward pass and the optimizer update; the rest of the step (batch conversion, accumulation sums, the global gradient norm and its read-back) is in neither.',
    '',
  );

  // Targets of issue #9.
  const targets: string[] = [];
  const heapFit = (name: string, what: string) => {
    const r = runs[name]?.ours;
    if (!r) return;
    const heap = 'losses' in r ? r.peak_wasm_heap_bytes : undefined;
    const fits = r.error === undefined && heap !== undefined && heap < WASM_HEAP_MAX;
    const recompute = 'losses' in r && r.recompute ? ', with activation recomputation' : '';
    targets.push(
      `- ${what}: ${fits ? 'met' : 'NOT met'} (peak wasm heap ${mib(heap)} of 4,096 MiB${recompute}${r.error ? `; ${r.error}` : ''}).`,
    );
  };
  heapFit(
    'full-accum64',
    `Full finetuning within the wasm heap at batch 8 with accumulation to an effective batch of ${8 * options.accum}`,
  );
  heapFit('lora-base', 'LoRA finetuning of a flan-t5-base-shaped model at batch 8 within the wasm heap');
  const shares = Object.entries(runs)
    .filter(([name]) => name.startsWith('full'))
    .map(([name, e]) => [name, ok(e.ours)] as const)
    .filter((x): x is readonly [string, CaseResult] => x[1] !== undefined)
    .map(([name, r]) => `${name} ${fixed((100 * split(r).opt) / split(r).step, 1)} %`);
  if (shares.length > 0) {
    const worst = Math.max(...shares.map((s) => Number(s.split(' ')[1])));
    targets.push(
      `- Our optimizer step under 5 % of the step time: ${worst < 5 ? 'met' : 'NOT met'} (${shares.join(', ')}).`,
    );
  }
  const ratios = ['full-padded', 'full-packed']
    .map((name) => [name, ok(runs[name]?.ours), ok(runs[name]?.torch)] as const)
    .filter(([, a, b]) => a && b)
    .map(([name, a, b]) => ({
      name,
      wall: rates(a!).wall / rates(b!).wall,
      cpu: rates(a!).cpu / rates(b!).cpu,
    }));
  if (ratios.length > 0) {
    const met = ratios.every((r) => r.wall >= 0.8);
    targets.push(
      `- ours/PyTorch ≥ 0.8 on full finetuning: ${met ? 'met' : 'NOT met'} (${ratios.map((r) => `${r.name} ${fixed(r.wall)} wall, ${fixed(r.cpu)} CPU time`).join('; ')}).`,
    );
  }
  if (targets.length > 0) lines.push('## Targets (issue #9)', '', ...targets, '');

  const errors = Object.entries(runs).flatMap(([name, e]) =>
    (['ours', 'torch'] as const)
      .map((engine) => [engine, errorOf(e[engine])] as const)
      .filter(([, err]) => err !== undefined)
      .map(([engine, err]) => `- ${name} / ${engine}: ${err}`),
  );
  if (errors.length > 0) lines.push('## Errors', '', ...errors, '');

  const anyResult = Object.values(runs)
    .flatMap((e) => [e.ours, e.torch])
    .find((r): r is CaseResult => r !== undefined && 'losses' in r);
  const engineNames = [
    ...new Set(
      Object.values(runs)
        .flatMap((e) => [e.ours, e.torch])
        .filter((r): r is CaseResult => r !== undefined && 'engine' in r)
        .map((r) => r.engine),
    ),
  ];
  lines.push('## Setup', '');
  lines.push(
    `- Engines: ${engineNames.join('; ') || (anyResult?.engine ?? '–')}. Both run t5x Adafactor (lr 1e-3, decay 0.8, update clipping 1.0, parameter scaling, factored when the second-largest dim ≥ 128), no dropout, no gradient clipping; the losses at step 1 (same weights, same batch) must agree, and the later losses check that both optimizers did the same update.`,
    '- Models: flan-t5-small shapes (d_model 512, d_ff 1024 gated-gelu, 8+8 layers, 6 heads, vocab 32128) and flan-t5-base shapes (d_model 768, d_ff 2048, 12+12 layers, 12 heads) with random weights (HF initialisation scales) written at bench time.',
    '- Batches: seeded random examples, input lengths log-normal (median 160, σ 0.7, clipped to 8…512), target lengths log-normal (median 24, σ 0.9, clipped to 2…128), eos last. Padded rows are padded to the full 512/128; packed rows hold the same example stream packed seqio-style (greedy, segment ids, decoder inputs restarting per segment) with segment-masked attention in both engines.',
    `- Each engine and case in its own process (peak memory is its own); one warm-up step, then ${options.quick ? '1 timed step (BENCH_QUICK)' : '2 timed steps (accumulation and LoRA-base: 1)'}.`,
    `- Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} logical cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}.`,
    ...options.notes.map((n) => `- ${n}`),
  );
  return `${lines.join('\n')}\n`;
}
