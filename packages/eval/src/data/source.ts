/**
 * Where a benchmark data directory's files come from: a folder on disk (`@flan-ts/eval/node`), a
 * base URL, or files a user picked. Paths are relative to the data directory, `/`-separated
 * (`bbh/navigate.jsonl`). Browser-safe.
 */
import { EvalError } from '../errors';

export interface DataSource {
  /** The data directory as messages name it (a path, a URL, "picked files"). */
  readonly name: string;
  /** How messages and parse errors name one file of it (`<dir>/bbh/navigate.jsonl`, a URL). */
  where(relativePath: string): string;
  /** The whole text of a file; a missing file is an {@link EvalError} naming it. */
  readText(relativePath: string): Promise<string>;
  /** Whether a file (or, where the source knows folders, a folder) exists. */
  exists(relativePath: string): Promise<boolean>;
  /**
   * The entry names of a folder. Absent where a source cannot list (HTTP): the loaders then use the
   * task names of the data layout (`MMLU_SUBJECTS`, `BBH_TASKS`, the MGSM and TyDiQA languages).
   */
  list?(relativeDir: string): Promise<string[]>;
}

/** A data directory served over HTTP(S) at `baseUrl` (relative to `location` in a page). */
export function fetchSource(baseUrl: string, fetchImpl: typeof fetch = globalThis.fetch): DataSource {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const url = (relativePath: string) => {
    try {
      return new URL(relativePath, base).href;
    } catch {
      throw new EvalError(`the data URL "${baseUrl}" is not a valid URL`);
    }
  };
  return {
    name: base,
    where: url,
    async readText(relativePath) {
      const href = url(relativePath);
      let response: Response;
      try {
        response = await fetchImpl(href);
      } catch (error) {
        throw new EvalError(`cannot read ${href}: ${(error as Error).message}`);
      }
      if (!response.ok)
        throw new EvalError(
          `cannot read ${href}: ${response.status === 404 ? 'no such file' : `HTTP ${response.status}`}`,
        );
      return response.text();
    },
    async exists(relativePath) {
      try {
        return (await fetchImpl(url(relativePath), { method: 'HEAD' })).ok;
      } catch {
        return false;
      }
    },
  };
}

/** Something whose text can be read later (a browser `File` or `Blob`). */
export interface TextFile {
  text(): Promise<string>;
}

/**
 * Files by their path in the data directory (`bbh/navigate.jsonl`), for example the files of a
 * folder picked in a page; a `File` is only read when a loader needs it.
 */
export function filesSource(files: Record<string, string | TextFile>, name = 'the picked files'): DataSource {
  const paths = Object.keys(files);
  const folderOf = (dir: string) => (dir === '' || dir.endsWith('/') ? dir : `${dir}/`);
  return {
    name,
    where: (relativePath) => relativePath,
    async readText(relativePath) {
      const file = files[relativePath];
      if (file === undefined) throw new EvalError(`cannot read ${relativePath}: not among ${name}`);
      return typeof file === 'string' ? file : file.text();
    },
    async exists(relativePath) {
      const folder = folderOf(relativePath);
      return relativePath in files || paths.some((p) => p.startsWith(folder));
    },
    async list(relativeDir) {
      const folder = folderOf(relativeDir);
      const names = new Set<string>();
      for (const p of paths) if (p.startsWith(folder)) names.add(p.slice(folder.length).split('/')[0]!);
      if (names.size === 0) throw new EvalError(`cannot read the folder ${relativeDir}: not among ${name}`);
      return [...names].sort();
    },
  };
}
