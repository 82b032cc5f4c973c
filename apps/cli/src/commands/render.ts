/**
 * `flan render`: renders FLAN-style templates for JSONL records. Each input line is
 * `{source, task, template_index, example}`; the output line is the same object with `input` and
 * `target` added (and `combined_input` / `combined_target` for few-shot patterns with `--combined`).
 * Thin wiring over @flan-ts/templates.
 */
import type { Command } from 'commander';
import {
  CliError,
  InvalidLineError,
  field,
  jsonLine,
  parseJsonObject,
  runLines,
  lineInputOptions,
} from '../io';

interface RenderOptions {
  templates?: string;
  chatTemplate?: string;
  templateName?: string;
  tokenize?: boolean;
  jsonl?: boolean;
  input?: string;
  skipInvalid?: boolean;
  combined?: boolean;
}

/**
 * `--chat-template`: each line `{messages, kwargs}` (kwargs as `apply_chat_template`'s:
 * `add_generation_prompt`, `tools`, `documents`, and any extra template variable) gets `rendered`,
 * and with `--tokenize` the `ids` of that string.
 */
async function renderChat(options: RenderOptions & { chatTemplate: string }): Promise<void> {
  const { ChatTemplate, ChatTemplateError, TokenizerError, loadAutoTokenizer, loadTokenizerConfig } =
    await import('@flan-ts/tokenizer/node');
  const { stat } = await import('node:fs/promises');
  const { dirname } = await import('node:path');
  const path = options.chatTemplate;
  let template: InstanceType<typeof ChatTemplate>;
  let encode: ((text: string) => number[]) | undefined;
  try {
    const config = await loadTokenizerConfig(path);
    if (!config) throw new CliError(`cannot read ${path}: no tokenizer_config.json`);
    template = ChatTemplate.fromConfig(config, options.templateName);
    if (options.tokenize) {
      const dir = (await stat(path)).isDirectory() ? path : dirname(path);
      const tokenizer = await loadAutoTokenizer(dir);
      encode = (text) => Array.from(tokenizer.encode(text).ids);
    }
  } catch (error) {
    if (error instanceof TokenizerError) throw new CliError(`cannot load chat template: ${error.message}`);
    throw error;
  }
  await runLines({
    ...(options.input ? { input: options.input } : {}),
    skipInvalid: options.skipInvalid ?? false,
    handle: (line) => {
      const record = parseJsonObject(line);
      if (!('messages' in record)) throw new InvalidLineError('missing field "messages"');
      const kwargs = record.kwargs ?? {};
      if (kwargs === null || typeof kwargs !== 'object' || Array.isArray(kwargs))
        throw new InvalidLineError('field "kwargs" must be an object');
      const { add_generation_prompt, tools, documents, ...rest } = kwargs as Record<string, unknown>;
      try {
        const rendered = template.render(record.messages as never, {
          addGenerationPrompt: add_generation_prompt === true,
          tools: Array.isArray(tools) ? tools : null,
          documents: Array.isArray(documents) ? documents : null,
          kwargs: rest,
        });
        return jsonLine({ ...record, rendered, ...(encode ? { ids: encode(rendered) } : {}) });
      } catch (error) {
        if (error instanceof ChatTemplateError) throw new InvalidLineError(error.message);
        throw error;
      }
    },
  });
}

export function registerRender(program: Command): void {
  lineInputOptions(program.command('render'))
    .description(
      'render template records ({source, task, template_index, example}) into input and target, or with --chat-template conversations ({messages, kwargs}) into the rendered string',
    )
    .option('--templates <file>', 'templates JSON in the shape of FLAN templates.json')
    .option(
      '--chat-template <path>',
      "render {messages, kwargs} lines with the chat_template of a tokenizer_config.json (or a model directory's)",
    )
    .option(
      '--template-name <name>',
      'with --chat-template, which of several named templates (default "default")',
    )
    .option('--tokenize', 'with --chat-template, also add the ids of the rendered string')
    .option('--jsonl', 'read JSONL records (one {source, task, template_index, example} object per line)')
    .option('--combined', 'also add combined_input / combined_target for few-shot patterns')
    .action(async (options: RenderOptions) => {
      if (!options.jsonl) throw new CliError('flan render reads JSONL records: pass --jsonl');
      if (options.chatTemplate !== undefined) {
        if (options.templates !== undefined)
          throw new CliError('pass --templates or --chat-template, not both');
        await renderChat({ ...options, chatTemplate: options.chatTemplate });
        return;
      }
      if (options.templates === undefined)
        throw new CliError('flan render needs --templates or --chat-template');
      const templatesPath = options.templates;
      const { loadTemplateFile, TemplateError } = await import('@flan-ts/templates/node');
      let collection: Awaited<ReturnType<typeof loadTemplateFile>>;
      try {
        collection = await loadTemplateFile(templatesPath);
      } catch (error) {
        throw new CliError((error as Error).message);
      }
      await runLines({
        ...(options.input ? { input: options.input } : {}),
        skipInvalid: options.skipInvalid ?? false,
        handle: (line) => {
          const record = parseJsonObject(line);
          const source = field<string>(record, 'source', 'string');
          const task = field<string>(record, 'task', 'string');
          const index = field<number>(record, 'template_index', 'number');
          const example = field<Record<string, unknown>>(record, 'example', 'object');
          try {
            const out: Record<string, unknown> = {
              ...record,
              ...collection.render(source, task, index, example),
            };
            if (options.combined && collection.fewShotPattern(source, task, index)) {
              const combined = collection.renderCombined(source, task, index, example);
              out['combined_input'] = combined.input;
              out['combined_target'] = combined.target;
            }
            return jsonLine(out);
          } catch (error) {
            if (error instanceof TemplateError) throw new InvalidLineError(error.message);
            throw error;
          }
        },
      });
    });
}
