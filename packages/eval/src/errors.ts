/** Errors of the eval package: each names what the user has to fix (a file and line, a name). */

/** A malformed record or file of the benchmark data: names the source and the 1-based line. */
export class DataLineError extends Error {
  override name = 'DataLineError';
  constructor(
    readonly source: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${source}:${line}: ${reason}`);
  }
}

/** A bad request: an unknown benchmark, format or task, or inconsistent settings. */
export class EvalError extends Error {
  override name = 'EvalError';
  /**
   * The option the problem is in (`formats`, `tasks`, `model`, …), so a command line can name its
   * flag (`--formats: …`); undefined when the message names what is wrong by itself.
   */
  readonly option: string | undefined;
  constructor(message: string, option?: string) {
    super(message);
    this.option = option;
  }
}
