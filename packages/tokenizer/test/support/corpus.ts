/** Texts for differential tests: every text field of the shared data sets, and seeded random Unicode. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { seededUniform } from '@flan-ts/test-support';

function collectStrings(value: unknown, out: string[]): void {
  if (typeof value === 'string') {
    if (value !== '') out.push(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collectStrings(v, out);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) collectStrings(v, out);
  }
}

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
}

/** Every string of every JSON/JSONL file and every line of every text file under `dataDir`. */
export function sharedDataTexts(dataDir: string): string[] {
  const out: string[] = [];
  for (const path of walk(dataDir)) {
    const text = readFileSync(path, 'utf8');
    const ext = extname(path);
    if (ext === '.jsonl') {
      for (const line of text.split('\n')) if (line.trim() !== '') collectStrings(JSON.parse(line), out);
    } else if (ext === '.json') {
      collectStrings(JSON.parse(text), out);
    } else {
      for (const line of text.split('\n')) if (line !== '') out.push(line);
    }
  }
  return out;
}

// Ranges chosen to hit the normalizer (NFKC forms, spaces, controls, combining marks, Hangul jamo),
// unknown characters (private use, rare scripts, astral) and the vocabulary's common pieces.
const RANGES: [number, number][] = [
  [0x20, 0x7e],
  [0x20, 0x7e],
  [0x20, 0x7e],
  [0x00, 0x1f],
  [0x80, 0xff],
  [0x100, 0x24f],
  [0x300, 0x36f],
  [0x370, 0x52f],
  [0x900, 0xdff],
  [0x1100, 0x11ff],
  [0x2000, 0x206f],
  [0x2100, 0x24ff],
  [0x3000, 0x30ff],
  [0x4e00, 0x9fff],
  [0xac00, 0xd7a3],
  [0xe000, 0xf8ff],
  [0xf900, 0xfaff],
  [0xfb00, 0xfdff],
  [0xfe00, 0xffef],
  [0x10000, 0x1ffff],
  [0x1f300, 0x1faff],
  [0x20000, 0x2ffff],
];
const SNIPPETS = [
  '</s>',
  '<pad>',
  '<unk>',
  '<s>',
  '<extra_id_0>',
  '\u2581',
  ' ',
  '  ',
  '\t',
  '\n',
  '\r\n',
  '\u00a0',
  '\u3000',
  '\ufeff',
  '0',
  '000',
  ',',
  'the',
  ' de ',
  '...',
];

/** `count` random strings of up to `maxLength` code points, never containing a lone surrogate. */
export function randomUnicodeTexts(seed: number, count: number, maxLength = 40): string[] {
  const random = seededUniform(seed);
  const texts: string[] = [];
  for (let i = 0; i < count; i++) {
    const length = Math.floor(random() * (maxLength + 1));
    let text = '';
    for (let k = 0; k < length; k++) {
      if (random() < 0.15) {
        text += SNIPPETS[Math.floor(random() * SNIPPETS.length)]!;
        continue;
      }
      const [lo, hi] = RANGES[Math.floor(random() * RANGES.length)]!;
      let cp = lo + Math.floor(random() * (hi - lo + 1));
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0x20;
      text += String.fromCodePoint(cp);
    }
    texts.push(text);
  }
  return texts;
}
