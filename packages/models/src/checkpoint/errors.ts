/** A checkpoint that cannot be used as given: names the file and, where one is at fault, the tensor. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
  constructor(
    message: string,
    readonly file?: string,
    readonly tensor?: string,
  ) {
    super([file, tensor && `tensor "${tensor}"`, message].filter(Boolean).join(': '));
  }
}
