/**
 * Rendering + mixing throughput over the Flan CoT data (shared/data/flan/cot): 100k examples sampled
 * from the 7 CoT tasks (examples-proportional, shuffle buffer 1000, all four formats), plus rendering
 * alone and raw template formatting. Prints a markdown table. Run: npm run bench (in this package).
 */
import { join } from 'node:path';
import { sharedRoot } from '@flan-ts/test-support';
import {
  createRng,
  flanCotTasks,
  MixtureSampler,
  pyFormat,
  Registry,
  renderExample,
  resolveMixture,
  type Fields,
} from '../src/node';

const N = Number(process.env.BENCH_N ?? 100_000);
const cotDir = join(sharedRoot, 'data/flan/cot');

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await fn();
  return [result, (performance.now() - start) / 1000];
}

const tasks = flanCotTasks(cotDir);
const registry = new Registry();
for (const task of tasks) registry.addTask(task);
const mixture = await resolveMixture(registry, {
  name: 'cot',
  tasks: tasks.map((t) => t.name),
  defaultRate: { examplesProportional: { maximum: 5000 } },
});

const rows: Array<[string, number, number]> = [];

// 1. Full pipeline: streaming files, shuffle buffer, task choice, format/template choice, few-shot exemplars.
const [chars, mixSeconds] = await time(async () => {
  const sampler = new MixtureSampler(mixture, { seed: 0 });
  let total = 0;
  for await (const example of sampler.take(N)) total += example.inputs.length + example.targets.length;
  await sampler.close();
  return total;
});
rows.push([`mix ${N.toLocaleString('en')} examples (stream + shuffle + render, 4 formats)`, N, mixSeconds]);

// 2. Rendering alone over records already in memory.
const gsm = tasks[0]!;
const records: Fields[] = [];
for await (const r of gsm.source.open()) records.push(r.value);
const pool = records.slice(0, 64).map((fields, i) => ({ key: String(i), fields }));
for (const format of ['zero-shot', 'few-shot-cot'] as const) {
  const [, seconds] = await time(async () => {
    const rng = createRng(1);
    for (let i = 0; i < N; i++)
      renderExample(gsm, records[i % records.length]!, format, rng, { exemplarPool: pool, exampleKey: 'x' });
  });
  rows.push([`render only, ${format} (gsm8k records in memory)`, N, seconds]);
}

// 3. The str.format core.
const [, formatSeconds] = await time(async () => {
  const fields = { question: 'What is 2 + 2?', chain_of_thought: '2 + 2 = 4.', answer: '4' };
  for (let i = 0; i < N * 10; i++)
    pyFormat('Q: {question}\nA: {chain_of_thought} So the answer is {answer}.', fields);
});
rows.push(['pyFormat, 3 fields', N * 10, formatSeconds]);

console.log(`| benchmark | examples | seconds | examples/s |`);
console.log(`|---|---:|---:|---:|`);
for (const [name, n, seconds] of rows) {
  console.log(
    `| ${name} | ${n.toLocaleString('en')} | ${seconds.toFixed(2)} | ${Math.round(n / seconds).toLocaleString('en')} |`,
  );
}
console.log(`\nNode ${process.version}; mixed output ${(chars / 1e6).toFixed(1)} M characters.`);
