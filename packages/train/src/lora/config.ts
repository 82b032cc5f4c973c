/**
 * LoRA settings with PEFT's names and defaults, and the `adapter_config.json` PEFT writes
 * (`LoraConfig.to_dict()`, `indent=2, sort_keys=True`), so PEFT loads our adapters and we load theirs.
 */

export interface LoraConfig {
  /** Rank r (PEFT default 8). */
  r: number;
  /** `lora_alpha`; the update is scaled by alpha / r (PEFT default 8). */
  alpha: number;
  /** `lora_dropout` on the adapter's input (PEFT default 0). */
  dropout: number;
  /**
   * PEFT `target_modules`: names matched against the end of each module path (`q` matches
   * `...SelfAttention.q`), or one regular expression that must match the whole path.
   * Default for T5, as PEFT's: `q` and `v`.
   */
  targetModules: readonly string[] | string;
  /** Written to `base_model_name_or_path`. */
  baseModelNameOrPath?: string;
}

export const DEFAULT_LORA_CONFIG: LoraConfig = { r: 8, alpha: 8, dropout: 0, targetModules: ['q', 'v'] };

export class LoraConfigError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'LoraConfigError';
  }
}

export function resolveLoraConfig(config: Partial<LoraConfig> = {}): LoraConfig {
  const c = { ...DEFAULT_LORA_CONFIG, ...config };
  if (!Number.isInteger(c.r) || c.r < 1)
    throw new LoraConfigError(`must be a positive integer, got ${c.r}`, 'r');
  if (!Number.isFinite(c.alpha) || c.alpha <= 0) {
    throw new LoraConfigError(`must be a positive number, got ${c.alpha}`, 'lora_alpha');
  }
  if (!(c.dropout >= 0 && c.dropout < 1))
    throw new LoraConfigError(`must be in [0, 1), got ${c.dropout}`, 'lora_dropout');
  if (Array.isArray(c.targetModules) && c.targetModules.length === 0) {
    throw new LoraConfigError('is empty', 'target_modules');
  }
  return c;
}

/** Whether PEFT's `target_modules` selects the module at `path` (`check_target_module_exists`). */
export function matchesTarget(path: string, targets: readonly string[] | string): boolean {
  if (typeof targets === 'string') return new RegExp(`^(?:${targets})$`).test(path);
  return targets.some((t) => path === t || path.endsWith(`.${t}`));
}

/** PEFT 0.20's `LoraConfig.to_dict()` for these settings: every field, at PEFT's defaults where ours has none. */
export function toAdapterConfigJson(config: LoraConfig, taskType = 'SEQ_2_SEQ_LM'): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    alora_invocation_tokens: null,
    alpha_pattern: {},
    arrow_config: null,
    auto_mapping: null,
    base_model_name_or_path: config.baseModelNameOrPath ?? null,
    bias: 'none',
    corda_config: null,
    ensure_weight_tying: false,
    eva_config: null,
    exclude_modules: null,
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    kasa_config: null,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: config.alpha,
    lora_bias: false,
    lora_dropout: config.dropout,
    lora_ga_config: null,
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: null,
    monteclora_config: null,
    peft_type: 'LORA',
    peft_version: '0.20.1.dev0',
    qalora_group_size: 16,
    r: config.r,
    rank_pattern: {},
    revision: null,
    target_modules:
      typeof config.targetModules === 'string' ? config.targetModules : [...config.targetModules],
    target_parameters: null,
    task_type: taskType,
    trainable_token_indices: null,
    use_bdlora: null,
    use_dora: false,
    use_qalora: false,
    use_rslora: false,
    velora_config: null,
  };
  return fields;
}

/** Fields PEFT declares as float: Python writes them with a decimal point even when whole (`0.0`). */
const FLOAT_FIELDS = new Set(['lora_dropout']);

/** `json.dumps(d, indent=2, sort_keys=True)` for JSON-safe values (what PEFT writes). */
export function pythonJsonDump(value: unknown, indent = '', key = ''): string {
  const next = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => next + pythonJsonDump(v, next)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    if (keys.length === 0) return '{}';
    const body = keys.map(
      (k) => `${next}${JSON.stringify(k)}: ${pythonJsonDump((value as Record<string, unknown>)[k], next, k)}`,
    );
    return `{\n${body.join(',\n')}\n${indent}}`;
  }
  if (typeof value === 'number' && FLOAT_FIELDS.has(key) && Number.isInteger(value)) return `${value}.0`;
  return JSON.stringify(value);
}

/**
 * Reads PEFT's `adapter_config.json`. Only plain LoRA is supported: DoRA, rsLoRA, per-module ranks,
 * biases and fan-in-fan-out layers are refused with the field named, not silently ignored.
 */
export function parseAdapterConfig(text: string, source = 'adapter_config.json'): LoraConfig {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new LoraConfigError(`not valid JSON (${(error as Error).message})`, source);
  }
  const field = (name: string) => `${source}: ${name}`;
  if (raw.peft_type !== 'LORA')
    throw new LoraConfigError(`is ${JSON.stringify(raw.peft_type)}, expected "LORA"`, field('peft_type'));
  const refuse = (name: string, ok: (v: unknown) => boolean) => {
    if (name in raw && !ok(raw[name])) {
      throw new LoraConfigError(`${JSON.stringify(raw[name])} is not supported`, field(name));
    }
  };
  refuse('use_dora', (v) => v === false || v == null);
  refuse('use_rslora', (v) => v === false || v == null);
  refuse('bias', (v) => v === 'none' || v == null);
  refuse('fan_in_fan_out', (v) => v === false || v == null);
  refuse('rank_pattern', (v) => v == null || Object.keys(v as object).length === 0);
  refuse('alpha_pattern', (v) => v == null || Object.keys(v as object).length === 0);
  const targets = raw.target_modules;
  if (!(
    typeof targets === 'string' ||
    (Array.isArray(targets) && targets.every((t) => typeof t === 'string'))
  )) {
    throw new LoraConfigError('must be a string or a list of strings', field('target_modules'));
  }
  const num = (name: string, fallback: number) => {
    const v = raw[name] ?? fallback;
    if (typeof v !== 'number')
      throw new LoraConfigError(`must be a number, got ${JSON.stringify(v)}`, field(name));
    return v;
  };
  const config: Partial<LoraConfig> = {
    r: num('r', 8),
    alpha: num('lora_alpha', 8),
    dropout: num('lora_dropout', 0),
    targetModules: targets as string[] | string,
  };
  if (typeof raw.base_model_name_or_path === 'string')
    config.baseModelNameOrPath = raw.base_model_name_or_path;
  return resolveLoraConfig(config);
}
