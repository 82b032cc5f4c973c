/** Tasks and mixtures by name (seqio's TaskRegistry and MixtureRegistry in one object). */
import { ConfigError } from '../errors';
import type { MixingRate } from '../mixtures/rates';
import type { FormatName, TaskDefinition } from './task';

/** A mixture: tasks (by name) with rates, and optional per-collection weights. */
export interface MixtureDefinition {
  name: string;
  tasks: ReadonlyArray<string | { task: string; rate?: MixingRate }>;
  /** Rate of tasks without their own. Default 1 (uniform over tasks). */
  defaultRate?: MixingRate;
  /** Weights of collections (sub-mixtures); every task then needs a `collection` listed here. */
  collectionWeights?: Readonly<Record<string, number>>;
  /**
   * template_mix: format weights for every task without its own `formats`, each example's format drawn
   * from them (zero-shot / few-shot / CoT mixed per example, as the Flan 2022 mixtures). A task uses the
   * formats it can render: the CoT formats need `cotTemplates`, the answer-only ones `templates`.
   */
  templateMix?: Readonly<Partial<Record<FormatName, number>>>;
}

export class Registry {
  private readonly taskMap = new Map<string, TaskDefinition>();
  private readonly mixtureMap = new Map<string, MixtureDefinition>();

  /** Adds a task; a second task of the same name is an error unless `replace`. */
  addTask(task: TaskDefinition, replace = false): this {
    if (!replace && this.taskMap.has(task.name))
      throw new ConfigError(`task "${task.name}" is already registered`);
    this.taskMap.set(task.name, task);
    return this;
  }

  addMixture(mixture: MixtureDefinition, replace = false): this {
    if (!replace && this.mixtureMap.has(mixture.name)) {
      throw new ConfigError(`mixture "${mixture.name}" is already registered`);
    }
    this.mixtureMap.set(mixture.name, mixture);
    return this;
  }

  task(name: string): TaskDefinition {
    const task = this.taskMap.get(name);
    if (!task)
      throw new ConfigError(`unknown task "${name}" (registered: ${this.taskNames().join(', ') || 'none'})`);
    return task;
  }

  mixture(name: string): MixtureDefinition {
    const mixture = this.mixtureMap.get(name);
    if (!mixture)
      throw new ConfigError(
        `unknown mixture "${name}" (registered: ${[...this.mixtureMap.keys()].join(', ') || 'none'})`,
      );
    return mixture;
  }

  taskNames(): string[] {
    return [...this.taskMap.keys()];
  }

  mixtureNames(): string[] {
    return [...this.mixtureMap.keys()];
  }
}
