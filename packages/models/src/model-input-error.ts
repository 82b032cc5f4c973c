/** Raised for inputs whose shapes or dtypes the model cannot take; names the offending input. */
export class ModelInputError extends Error {
  constructor(
    message: string,
    readonly input: string,
  ) {
    super(`${input}: ${message}`);
    this.name = 'ModelInputError';
  }
}
