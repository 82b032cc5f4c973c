/**
 * The data path's one error: a bad line or record, named by its source (file path, URL or a given name)
 * and 1-based line, so a user can open the file at the line and fix it. Line 0 means the source as a whole.
 */
export class DataError extends Error {
  override name = 'DataError';
  constructor(
    readonly source: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(line > 0 ? `${source}:${line}: ${reason}` : `${source}: ${reason}`);
  }
}
