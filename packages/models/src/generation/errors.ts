/** A generation request that cannot be honoured: invalid options, inputs or model outputs. */
export class GenerationError extends Error {
  override name = 'GenerationError';
  /** The option or input field at fault, when there is one (e.g. `numBeams`). */
  readonly field: string | undefined;

  constructor(message: string, field?: string) {
    super(field === undefined ? message : `${field}: ${message}`);
    this.field = field;
  }
}
