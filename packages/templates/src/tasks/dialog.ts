/**
 * Dialog formats, as the Flan 2022 dialog collection frames them: the conversation so far is the input,
 * the next turn is the target. `dialogTurns` is a preprocessor from a record holding the turns to the
 * template fields `dialog` (the context, one "Speaker: text" line per turn), `speaker` (who speaks next)
 * and `response` (the last turn); {@link DIALOG_TEMPLATES} render them.
 */
import { ConfigError } from '../errors';
import type { Template } from '../templates/template';
import type { Preprocessor } from './task';

export interface DialogSettings {
  /** Field holding the turns: a list of strings (speakers alternate) or of `{speaker, text}`. Default "turns". */
  field?: string;
  /** Names of alternating speakers when turns are plain strings. Default `['User', 'Assistant']`. */
  speakers?: readonly [string, string];
  /** Keep only the last `maxContextTurns` turns of context (long dialogs). Default: all. */
  maxContextTurns?: number;
}

interface Turn {
  speaker: string;
  text: string;
}

function turnsOf(value: unknown, settings: DialogSettings, field: string): Turn[] {
  if (!Array.isArray(value)) throw new ConfigError(`dialog record: field "${field}" must be a list of turns`);
  const [a, b] = settings.speakers ?? ['User', 'Assistant'];
  return value.map((turn, i) => {
    if (typeof turn === 'string') return { speaker: i % 2 === 0 ? a : b, text: turn };
    const t = turn as Partial<Turn> | null;
    if (t && typeof t.speaker === 'string' && typeof t.text === 'string')
      return { speaker: t.speaker, text: t.text };
    throw new ConfigError(`dialog record: ${field}[${i}] must be a string or {speaker, text}`);
  });
}

/** Preprocessor: turns → `{dialog, speaker, response}` (the last turn is the response); fewer than 2 turns are filtered out. */
export function dialogTurns(settings: DialogSettings = {}): Preprocessor {
  const field = settings.field ?? 'turns';
  return (fields) => {
    const turns = turnsOf(fields[field], settings, field);
    if (turns.length < 2) return null;
    const response = turns[turns.length - 1]!;
    let context = turns.slice(0, -1);
    if (settings.maxContextTurns !== undefined) context = context.slice(-settings.maxContextTurns);
    return {
      ...fields,
      dialog: context.map((t) => `${t.speaker}: ${t.text}`).join('\n'),
      speaker: response.speaker,
      response: response.text,
    };
  };
}

/** Templates over `{dialog}`, `{speaker}` and `{response}` (written for flan-ts, in the spirit of FLAN's dialog tasks). */
export const DIALOG_TEMPLATES: readonly Template[] = Object.freeze([
  { name: 'dialog-next', input: '{dialog}\n{speaker}:', target: '{response}' },
  {
    name: 'dialog-continue',
    input: 'Continue the conversation as {speaker}.\n\n{dialog}',
    target: '{response}',
  },
  {
    name: 'dialog-respond',
    input: 'Read the dialog and write the next turn.\n\n{dialog}\n\nNext turn ({speaker}):',
    target: '{response}',
  },
]);
