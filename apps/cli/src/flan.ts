/** The `flan` command: thin wiring from flags and JSONL to the @flan-ts packages. */
import { Command, CommanderError } from 'commander';
import { CliError } from './io';
import { registerTokenize } from './commands/tokenize';
import { registerRender } from './commands/render';
import { registerMix } from './commands/mix';
import { registerGenerate } from './commands/generate';
import { registerScore } from './commands/score';
import { registerTrain } from './commands/train';
import { registerEval } from './commands/eval';
import { registerWeb } from './commands/web';

const program = new Command('flan')
  .description('Instruction finetuning of T5 / Flan-T5 in TypeScript')
  .showHelpAfterError()
  .exitOverride();

for (const register of [
  registerTokenize,
  registerRender,
  registerMix,
  registerGenerate,
  registerScore,
  registerTrain,
  registerEval,
  registerWeb,
]) {
  register(program);
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof CliError) {
    process.stderr.write(`flan: ${error.message}\n`);
    process.exit(1);
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  process.stderr.write(`flan: ${message}\n`);
  if (process.env.FLAN_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exit(1);
}
