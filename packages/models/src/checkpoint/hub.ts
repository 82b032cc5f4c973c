/** The Hugging Face hub's file URLs: `{endpoint}/{repo}/resolve/{revision}/{file}`. */
import { CheckpointError } from './errors';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

/** `owner/name` or a bare `name` (legacy canonical repos such as `t5-small`). */
const REPO_ID = /^(?:[A-Za-z0-9][\w.-]*\/)?[A-Za-z0-9][\w.-]*$/;

export function isHubRepoId(source: string): boolean {
  return REPO_ID.test(source) && !source.includes('..') && !source.endsWith('.');
}

/** `$HF_ENDPOINT` where a process environment exists, else huggingface.co. */
export function defaultHubEndpoint(): string {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.HF_ENDPOINT || DEFAULT_HUB_ENDPOINT;
}

/** Base URL (ending in `/`) of a repo's files at a revision; the revision is escaped as the hub client does. */
export function hubBaseUrl(repo: string, revision: string, endpoint: string): string {
  if (!isHubRepoId(repo)) throw new CheckpointError(`is not a hub repo id (owner/name)`, repo);
  return `${endpoint.replace(/\/+$/, '')}/${repo}/resolve/${encodeURIComponent(revision)}/`;
}

/** A 40-hex-digit commit id: the only revision whose files never change. */
export function isCommitHash(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}
