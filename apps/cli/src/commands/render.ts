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
  templates: string;
  jsonl?: boolean;
  input?: string;
  skipInvalid?: boolean;
  combined?: boolean;
}

export function registerRender(program: Command): void {
  lineInputOptions(program.command('render'))
    .description('render template records ({source, task, template_index, example}) into input and target')
    .requiredOption('--templates <file>', 'templates JSON in the shape of FLAN templates.json')
    .option('--jsonl', 'read JSONL records (one {source, task, template_index, example} object per line)')
    .option('--combined', 'also add combined_input / combined_target for few-shot patterns')
    .action(async (options: RenderOptions) => {
      if (!options.jsonl) throw new CliError('flan render reads JSONL records: pass --jsonl');
      const { loadTemplateFile, TemplateError } = await import('@flan-ts/templates/node');
      let collection: Awaited<ReturnType<typeof loadTemplateFile>>;
      try {
        collection = await loadTemplateFile(options.templates);
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
