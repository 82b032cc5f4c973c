/**
 * `flan mix`: samples N rendered examples `{inputs, targets, task, template, format}` from a mixture
 * config (see the @flan-ts/templates README), deterministically for a seed, optionally resuming from
 * and saving the sampler state. With `--chat-template` each example is a conversation rendered
 * through a tokenizer's chat template, with the character span of the reply (`text`,
 * `response_start`, `response_end`, `messages` before the usual fields). Thin wiring over
 * @flan-ts/templates and @flan-ts/tokenizer.
 */
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import type {
  ChatRenderer,
  ConversationOptions,
  MixedExample,
  MixtureSampler,
  RenderedChat,
  SamplerState,
  TokenCounter,
} from '@flan-ts/templates';
import { integerFlag } from '../flags';
import { CliError, jsonLine, writeOut } from '../io';

interface MixOptions {
  config: string;
  n: string;
  seed?: string;
  out?: string;
  progress?: boolean;
  resume?: string;
  saveState?: string;
  tokenizer?: string;
  chatTemplate?: string;
  chatTemplateName?: string;
  chatKwargs?: string;
  fewShotTurns?: boolean;
  system?: string;
}

/** How an example becomes a JSONL line: as sampled, or as a rendered conversation with its span. */
type LineWriter = (example: MixedExample) => string;

/** Loads `--chat-template` and returns the writer of conversation lines. */
async function chatLineWriter(options: MixOptions & { chatTemplate: string }): Promise<LineWriter> {
  const { ChatTemplate, TokenizerError, loadTokenizerConfig } = await import('@flan-ts/tokenizer/node');
  const { exampleToConversation, renderChat, TemplateError } = await import('@flan-ts/templates');
  let template: ChatRenderer;
  try {
    const config = await loadTokenizerConfig(options.chatTemplate);
    if (!config) throw new CliError(`cannot read ${options.chatTemplate}: no tokenizer_config.json`);
    template = ChatTemplate.fromConfig(config, options.chatTemplateName);
  } catch (error) {
    if (error instanceof TokenizerError) throw new CliError(`cannot load chat template: ${error.message}`);
    throw error;
  }
  let kwargs: Record<string, unknown> | undefined;
  if (options.chatKwargs !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(options.chatKwargs);
    } catch {
      throw new CliError(`--chat-kwargs must be a JSON object, got ${options.chatKwargs}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new CliError(`--chat-kwargs must be a JSON object, got ${options.chatKwargs}`);
    kwargs = parsed as Record<string, unknown>;
  }
  const conversation: ConversationOptions = {
    fewShot: options.fewShotTurns ? 'turns' : 'inline',
    ...(options.system !== undefined ? { system: options.system } : {}),
  };
  return (example) => {
    const { fewShot: _parts, ...fields } = example;
    const { messages } = exampleToConversation(example, conversation);
    const context = { task: example.task, template: example.template };
    let chat: RenderedChat;
    try {
      chat = renderChat(messages, template, { ...(kwargs ? { kwargs } : {}), context });
    } catch (error) {
      // The template's own errors (raise_exception) name the example here; renderChat's already do.
      if (error instanceof TemplateError) throw error;
      throw new CliError(`task "${context.task}", template ${context.template}: ${(error as Error).message}`);
    }
    return jsonLine({
      text: chat.text,
      response_start: chat.responseStart,
      response_end: chat.responseEnd,
      messages,
      ...fields,
    });
  };
}

/**
 * A one-line progress bar on stderr, redrawn at most every 100 ms. Hand-written (a dozen lines) rather
 * than a dependency: it only needs a count, a rate and a carriage return.
 */
function progressBar(total: number): { tick(done: number): void; end(done: number): void } {
  const started = Date.now();
  let last = 0;
  const draw = (done: number) => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    process.stderr.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${rate} ex/s`,
    );
  };
  return {
    tick(done) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      draw(done);
    },
    end(done) {
      draw(done);
      process.stderr.write('\n');
    },
  };
}

function readState(path: string): SamplerState {
  let state: unknown;
  try {
    state = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read sampler state ${path}: ${(error as Error).message}`);
  }
  const s = state as Partial<SamplerState>;
  if (
    typeof s?.seed !== 'number' ||
    typeof s.position !== 'number' ||
    typeof s.cursors !== 'object' ||
    s.cursors === null
  ) {
    throw new CliError(`${path}: not a sampler state ({seed, position, cursors})`);
  }
  return s as SamplerState;
}

export function registerMix(program: Command): void {
  program
    .command('mix')
    .description(
      'sample N rendered examples {inputs, targets, task, template, format} from a mixture config; with --chat-template, conversations {text, response_start, response_end, messages, ...}',
    )
    .requiredOption('--config <file>', 'mixture config JSON (see the @flan-ts/templates README)')
    .requiredOption('--n <count>', 'number of examples to write')
    .option('--seed <int>', 'sampling seed (default: the config seed, else 0)')
    .option('--out <file>', 'write JSONL here instead of stdout')
    .option('--progress', 'show a progress bar on stderr even when it is not a terminal')
    .option('--resume <state.json>', 'continue from a saved sampler state (its seed is used)')
    .option('--save-state <state.json>', 'write the sampler state after the run, for --resume')
    .option(
      '--tokenizer <path>',
      'tokenizer (.model, tokenizer.json or model dir) measuring few-shot token budgets',
    )
    .option(
      '--chat-template <path>',
      'write each example as a conversation (user = inputs, assistant = targets) rendered with the chat_template of this tokenizer_config.json or model directory: text, response_start and response_end (the [start, end) characters of the reply and the end-of-turn text after it, the part to put the loss on), messages, then the usual fields',
    )
    .option('--chat-template-name <name>', 'with --chat-template, which of several named templates')
    .option(
      '--chat-kwargs <json>',
      'with --chat-template, extra template variables as a JSON object, e.g. \'{"enable_thinking": false}\'',
    )
    .option(
      '--few-shot-turns',
      'with --chat-template, few-shot exemplars as earlier user/assistant turns (default: inline in the user message)',
    )
    .option('--system <text>', 'with --chat-template, a system message opening every conversation')
    .action(async (options: MixOptions) => {
      const n = integerFlag('--n', 0)(options.n);
      if (options.chatTemplate === undefined) {
        for (const [flag, value] of [
          ['--chat-template-name', options.chatTemplateName],
          ['--chat-kwargs', options.chatKwargs],
          ['--few-shot-turns', options.fewShotTurns],
          ['--system', options.system],
        ] as const) {
          if (value !== undefined) throw new CliError(`${flag} needs --chat-template`);
        }
      }
      const toLine: LineWriter = options.chatTemplate
        ? await chatLineWriter({ ...options, chatTemplate: options.chatTemplate })
        : (example) => jsonLine(example);
      const {
        loadMixtureConfig,
        resolveMixture,
        MixtureSampler: Sampler,
      } = await import('@flan-ts/templates/node');
      let skipped = 0;
      let sampler: MixtureSampler;
      let tokenCounter: TokenCounter | undefined;
      if (options.tokenizer) {
        const { loadTokenizer } = await import('@flan-ts/tokenizer/node');
        const tokenizer = await loadTokenizer(options.tokenizer).catch((error: Error) => {
          throw new CliError(error.message);
        });
        // The model sees the prompt with `</s>` appended, so the budget counts it (T5 semantics).
        tokenCounter = tokenizer;
      }
      try {
        const config = loadMixtureConfig(options.config, {
          onInvalid: (error) => {
            skipped++;
            process.stderr.write(`skipped ${error.message}\n`);
          },
        });
        const mixture = await resolveMixture(config.registry, config.mixture);
        const state = options.resume ? readState(options.resume) : undefined;
        if (state && options.seed !== undefined && integerFlag('--seed', 0)(options.seed) !== state.seed) {
          throw new CliError(
            `--seed ${options.seed} differs from the seed ${state.seed} of the resumed state ${options.resume}`,
          );
        }
        const seed = options.seed !== undefined ? integerFlag('--seed', 0)(options.seed) : (config.seed ?? 0);
        sampler = new Sampler(mixture, {
          seed,
          ...(state ? { state } : {}),
          ...(config.shuffleBuffer !== undefined ? { shuffleBuffer: config.shuffleBuffer } : {}),
          ...(tokenCounter ? { tokenCounter } : {}),
          ...(options.fewShotTurns ? { keepFewShotParts: true } : {}),
        });
      } catch (error) {
        if (error instanceof CliError) throw error;
        throw new CliError((error as Error).message);
      }

      const file = options.out ? createWriteStream(options.out) : undefined;
      if (file) {
        await new Promise<void>((resolve, reject) => {
          file.once('open', () => resolve());
          file.once('error', (error) =>
            reject(new CliError(`cannot write ${options.out}: ${error.message}`)),
          );
        });
      }
      const write = async (text: string) => {
        if (!file) return writeOut(text);
        if (!file.write(text)) await once(file, 'drain');
      };
      const bar = options.progress || process.stderr.isTTY ? progressBar(n) : undefined;
      let done = 0;
      try {
        // Lines are batched: one write per 256 examples keeps the stream overhead small.
        let batch = '';
        for (; done < n;) {
          batch += toLine(await sampler.next()) + '\n';
          done++;
          if (done % 256 === 0) {
            await write(batch);
            batch = '';
            bar?.tick(done);
          }
        }
        if (batch !== '') await write(batch);
      } catch (error) {
        throw new CliError((error as Error).message);
      } finally {
        bar?.end(done);
        await sampler.close();
        if (file) await new Promise<void>((resolve) => file.end(resolve));
      }
      if (options.saveState) writeFileSync(options.saveState, JSON.stringify(sampler.state()) + '\n');
      if (sampler.dropped > 0) {
        process.stderr.write(
          `dropped ${sampler.dropped} few-shot draw(s) where no exemplar fit the token budget\n`,
        );
      }
      if (skipped > 0) process.stderr.write(`skipped ${skipped} invalid line(s) in the data files\n`);
    });
}
