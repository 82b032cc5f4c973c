/**
 * Deterministic, streaming, resumable sampling from a mixture. Draw `i` uses its own generator
 * derived from `(seed, i)`: it picks a task by the mixture's probabilities, takes the task's next
 * example, then picks format, template, options and exemplars. The state — seed, draw position and
 * each task's cursor — is plain JSON; a sampler created from it continues exactly where the saved
 * one stopped.
 */
import { ConfigError } from '../errors';
import type { TokenCounter } from '../formats/token-counter';
import { deriveRng, type Rng } from '../rng';
import type { Registry, MixtureDefinition } from '../tasks/registry';
import { invertExample } from '../tasks/inversion';
import { renderExample, type Exemplar, type MixedExample } from '../tasks/render-example';
import { FORMAT_NAMES, preprocess, type FormatName, type TaskDefinition } from '../tasks/task';
import { countRecords } from '../data/source';
import { mixingRateNumExamples, mixtureProbabilities, type MixingRate } from './rates';
import { TaskStream, type TaskCursor } from './task-stream';

/** Serializable sampler position. */
export interface SamplerState {
  seed: number;
  /** Draws made so far (including dropped ones). */
  position: number;
  cursors: Record<string, TaskCursor>;
}

export interface SamplerOptions {
  seed?: number;
  /** Resume from a saved state (its seed wins over `seed`). */
  state?: SamplerState;
  /** Needed by tasks whose few-shot settings have a token budget. */
  tokenCounter?: TokenCounter;
  /** Shuffle buffer per task; 0 or 1 reads each source in order. Default 1000. */
  shuffleBuffer?: number;
  /** Few-shot examples also carry their exemplars and final input apart (`MixedExample.fewShot`), for chat turns. */
  keepFewShotParts?: boolean;
}

/** A mixture with its tasks and sampling probabilities resolved. */
export interface ResolvedMixture {
  name: string;
  tasks: readonly TaskDefinition[];
  probabilities: readonly number[];
  /** Format weights of tasks without their own (see {@link MixtureDefinition.templateMix}). */
  templateMix?: Readonly<Partial<Record<FormatName, number>>>;
}

/** A template_mix with every format weighted equally: a starting point, not the paper's exact proportions. */
export const EQUAL_TEMPLATE_MIX: Readonly<Partial<Record<FormatName, number>>> = Object.freeze({
  'zero-shot': 1,
  'few-shot': 1,
  cot: 1,
  'few-shot-cot': 1,
});

async function rateOf(task: TaskDefinition, rate: MixingRate): Promise<number> {
  if (typeof rate === 'number') return rate;
  const count = task.numExamples ?? (await countRecords(task.source));
  return mixingRateNumExamples(count, rate.examplesProportional);
}

/** Looks up a mixture's tasks and turns rates (counting examples where needed) into probabilities. */
export async function resolveMixture(
  registry: Registry,
  mixture: string | MixtureDefinition,
): Promise<ResolvedMixture> {
  const definition = typeof mixture === 'string' ? registry.mixture(mixture) : mixture;
  if (definition.tasks.length === 0) throw new ConfigError(`mixture "${definition.name}" has no tasks`);
  const entries = definition.tasks.map((t) => (typeof t === 'string' ? { task: t } : t));
  const tasks = entries.map((e) => registry.task(e.task));
  const rates = await Promise.all(
    entries.map((e, i) => rateOf(tasks[i]!, e.rate ?? definition.defaultRate ?? 1)),
  );
  const probabilities = mixtureProbabilities(
    rates,
    definition.collectionWeights
      ? { of: tasks.map((t) => t.collection), weights: definition.collectionWeights }
      : undefined,
  );
  return {
    name: definition.name,
    tasks,
    probabilities,
    ...(definition.templateMix ? { templateMix: definition.templateMix } : {}),
  };
}

function pickWeighted<T>(items: readonly T[], weights: readonly number[], u: number): T {
  let total = 0;
  for (const w of weights) total += w;
  let target = u * total;
  for (let i = 0; i < items.length; i++) {
    target -= weights[i]!;
    if (target < 0) return items[i]!;
  }
  // Rounding can leave target at ~0 after the loop: the last item with weight > 0.
  for (let i = items.length - 1; i >= 0; i--) if (weights[i]! > 0) return items[i]!;
  return items[items.length - 1]!;
}

function canRender(task: TaskDefinition, format: FormatName): boolean {
  const cot = format === 'cot' || format === 'few-shot-cot';
  return ((cot ? task.cotTemplates : task.templates)?.length ?? 0) > 0;
}

function formatsOf(
  task: TaskDefinition,
  templateMix?: Readonly<Partial<Record<FormatName, number>>>,
): { names: FormatName[]; weights: number[] } {
  let formats = task.formats ?? { 'zero-shot': 1 };
  if (!task.formats && templateMix) {
    // template_mix: the mixture's weights, over the formats this task has templates for.
    formats = Object.fromEntries(
      Object.entries(templateMix).filter(([f]) => canRender(task, f as FormatName)),
    ) as Partial<Record<FormatName, number>>;
  }
  const names = FORMAT_NAMES.filter((f) => (formats[f] ?? 0) > 0);
  if (names.length === 0) throw new ConfigError(`task "${task.name}" has no format with a weight > 0`);
  for (const [name, weight] of Object.entries(formats)) {
    if (!FORMAT_NAMES.includes(name as FormatName)) {
      throw new ConfigError(
        `task "${task.name}": unknown format "${name}" (known: ${FORMAT_NAMES.join(', ')})`,
      );
    }
    if (!(weight! >= 0)) throw new ConfigError(`task "${task.name}": weight of ${name} must be >= 0`);
  }
  return { names, weights: names.map((n) => formats[n]!) };
}

const MAX_CONSECUTIVE_DROPS = 1000;

export class MixtureSampler {
  private readonly streams: TaskStream[];
  private readonly pools = new Map<string, Promise<Exemplar[]>>();
  private readonly formats: Array<{ names: FormatName[]; weights: number[] }>;
  private positionValue: number;
  readonly seed: number;
  /** Few-shot draws dropped because no exemplar fit the token budget. */
  dropped = 0;

  constructor(
    readonly mixture: ResolvedMixture,
    private readonly options: SamplerOptions = {},
  ) {
    const state = options.state;
    this.seed = (state?.seed ?? options.seed ?? 0) >>> 0;
    this.positionValue = state?.position ?? 0;
    const names = new Set<string>();
    for (const task of mixture.tasks) {
      if (names.has(task.name))
        throw new ConfigError(`mixture "${mixture.name}" lists task "${task.name}" twice`);
      names.add(task.name);
    }
    if (state) {
      for (const name of Object.keys(state.cursors)) {
        if (!names.has(name))
          throw new ConfigError(`saved state has a cursor for task "${name}", which is not in the mixture`);
      }
    }
    this.streams = mixture.tasks.map(
      (task) => new TaskStream(task, this.seed, options.shuffleBuffer ?? 1000, state?.cursors[task.name]),
    );
    this.formats = mixture.tasks.map((task) => formatsOf(task, mixture.templateMix));
    for (const task of mixture.tasks) {
      const rate = task.inversion?.rate;
      if (rate !== undefined && !(rate >= 0 && rate <= 1))
        throw new ConfigError(`task "${task.name}": inversion.rate must be in [0, 1], got ${rate}`);
    }
  }

  /** Draws made so far. */
  get position(): number {
    return this.positionValue;
  }

  /** The state to save for resumption. */
  state(): SamplerState {
    const cursors: Record<string, TaskCursor> = {};
    for (const stream of this.streams) cursors[stream.task.name] = stream.position;
    return { seed: this.seed, position: this.positionValue, cursors };
  }

  /**
   * The few-shot exemplar candidates of a task: `poolSize` records sampled uniformly across the whole
   * split (reservoir sampling, seeded by the sampler's seed and the task), or with `fewShot.pool: 'first'`
   * the first `poolSize` records. Built once per sampler, in one streaming pass; a resumed sampler builds
   * the same pool.
   */
  private exemplarPool(task: TaskDefinition): Promise<Exemplar[]> {
    let pool = this.pools.get(task.name);
    if (!pool) {
      pool = (async () => {
        const size = task.fewShot?.poolSize ?? 64;
        const first = task.fewShot?.pool === 'first';
        const rng = deriveRng(this.seed, 'exemplar-pool', task.name);
        const out: Exemplar[] = [];
        if (size <= 0) return out;
        let seen = 0;
        for await (const record of task.source.open()) {
          const fields = preprocess(task, record.value);
          if (fields === null) continue;
          const exemplar = { key: `${record.source}:${record.line}`, fields };
          seen++;
          if (out.length < size) out.push(exemplar);
          else if (first) break;
          else {
            // Algorithm R: the seen-th record replaces a pool entry with probability size / seen.
            const j = rng.int(seen);
            if (j < size) out[j] = exemplar;
          }
        }
        return out;
      })();
      this.pools.set(task.name, pool);
    }
    return pool;
  }

  /** One draw; `undefined` when the draw was dropped (few-shot over budget; counted in `dropped`). */
  async draw(): Promise<MixedExample | undefined> {
    const draw = this.positionValue;
    const rng: Rng = deriveRng(this.seed, 'draw', draw);
    this.positionValue++;
    const index = pickWeighted(
      this.streams.map((_, i) => i),
      this.mixture.probabilities,
      rng.next(),
    );
    const stream = this.streams[index]!;
    const task = stream.task;
    const example = await stream.next();
    const formats = this.formats[index]!;
    const format = pickWeighted(formats.names, formats.weights, rng.next());
    const fewShot = format === 'few-shot' || format === 'few-shot-cot';
    const pool = fewShot ? await this.exemplarPool(task) : undefined;
    let rendered: MixedExample | undefined;
    try {
      rendered = renderExample(task, example.fields, format, rng, {
        exampleKey: example.key,
        ...(pool ? { exemplarPool: pool } : {}),
        ...(this.options.tokenCounter ? { tokenCounter: this.options.tokenCounter } : {}),
        ...(this.options.keepFewShotParts ? { keepFewShotParts: true } : {}),
      });
    } catch (error) {
      // Name the record as well as the task and template.
      if (error instanceof Error) error.message = `${example.key}: ${error.message}`;
      throw error;
    }
    if (!rendered) this.dropped++;
    else if (task.inversion && format === 'zero-shot' && task.inversion.rate > 0) {
      // A generator of its own: tasks without inversion draw exactly as before.
      if (deriveRng(this.seed, 'inversion', draw).next() < task.inversion.rate)
        rendered = invertExample(rendered, task.inversion.template);
    }
    return rendered;
  }

  /** The next kept example (skipping dropped draws; gives up after 1000 dropped draws in a row). */
  async next(): Promise<MixedExample> {
    for (let attempt = 0; attempt < MAX_CONSECUTIVE_DROPS; attempt++) {
      const example = await this.draw();
      if (example) return example;
    }
    throw new ConfigError(
      `${MAX_CONSECUTIVE_DROPS} draws in a row were dropped: no few-shot exemplar fits the token budget (raise fewShot.maxInputTokens)`,
    );
  }

  /** `n` kept examples. */
  async *take(n: number): AsyncGenerator<MixedExample> {
    for (let i = 0; i < n; i++) yield await this.next();
  }

  /** Closes open sources. */
  async close(): Promise<void> {
    await Promise.all(this.streams.map((s) => s.close()));
  }
}
