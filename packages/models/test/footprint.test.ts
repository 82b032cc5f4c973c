import { describe, expect, it } from 'vitest';
import { fitProblem, footprint } from '../src/checkpoint/footprint';
import { expectedCausalTensors } from '../src/causal/parameters';
import { parseCausalConfig } from '../src/causal/config';
import { expectedT5Tensors } from '../src/t5/parameters';
import { parseT5Config } from '../src/t5/config';
import { sharedFile } from '@flan-ts/test-support';
import { fixtureDir, loadFixture } from './t5-fixtures';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const MiB = 1024 * 1024;

describe.skipIf(!fixtureDir('flan-t5-tiny'))('footprint and fitProblem', () => {
  it('counts the stored parameters and finds the largest tensor (T5 and decoder-only configs)', () => {
    const f = loadFixture('flan-t5-tiny');
    const fp = footprint(expectedT5Tensors(f.config));
    const stored = [...f.tensors.values()].filter(
      (t) => t.name !== 'lm_head.weight' || !f.config.tieWordEmbeddings,
    );
    expect(fp.parameters).toBe(stored.reduce((n, t) => n + t.data.length, 0));
    expect(fp.largest.bytes).toBe(Math.max(...stored.map((t) => t.data.length * 4)));
    const llama = sharedFile('fixtures/models/llama-tiny');
    if (llama) {
      const config = parseCausalConfig(JSON.parse(readFileSync(join(llama, 'config.json'), 'utf8')));
      // README section 8: llama-tiny has 151,872 parameters.
      expect(footprint(expectedCausalTensors(config)).parameters).toBe(151_872);
    }
  });

  it('refuses a tensor larger than a WebGPU buffer, and weights beyond the wasm budget, naming them', () => {
    // mT5-XXL's shapes: a 250112 × 4096 embedding.
    const xxl = parseT5Config({
      model_type: 't5',
      d_model: 4096,
      d_ff: 10240,
      d_kv: 64,
      num_heads: 64,
      num_layers: 24,
      vocab_size: 250112,
      feed_forward_proj: 'gated-gelu',
      tie_word_embeddings: false,
    });
    const fp = footprint(expectedT5Tensors(xxl));
    const limits = { maxBufferSize: 1024 * MiB, maxStorageBufferBindingSize: 1024 * MiB };
    expect(fitProblem(fp, 'webgpu', limits)).toMatch(
      /largest tensor (shared|lm_head)\.weight takes 3908 MiB.*at most 1024 MiB/,
    );
    expect(fitProblem(fp, 'wasm')).toMatch(/too large for WASM: its weights take \d+ MiB/);
    const tiny = footprint(expectedT5Tensors(loadFixture('flan-t5-tiny').config));
    expect(fitProblem(tiny, 'webgpu', limits)).toBeUndefined();
    expect(fitProblem(tiny, 'wasm')).toBeUndefined();
  });
});
