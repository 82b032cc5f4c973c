import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedFile } from '@flan-ts/test-support';
import { describe, expect, it } from 'vitest';
import {
  encodeTensorData,
  parseSafetensors,
  readFloat32,
  serializeSafetensors,
  widenToFloat32,
} from '../src/checkpoint/safetensors';

const flanTiny = sharedFile('fixtures/models/flan-t5-tiny');

function bitsOf(dtype: 'F16' | 'BF16', values: number[]): number[] {
  const bytes = encodeTensorData(new Float32Array(values), dtype);
  return Array.from(new Uint16Array(bytes.buffer, bytes.byteOffset, values.length));
}

describe('F16 and BF16 conversion', () => {
  for (const dtype of ['F16', 'BF16'] as const) {
    it(`${dtype}: every one of the 65536 bit patterns widens and narrows back to itself (NaNs stay NaN)`, () => {
      const all = new Uint16Array(65536).map((_, i) => i);
      const widened = widenToFloat32(dtype, new Uint8Array(all.buffer));
      const back = new Uint16Array(encodeTensorData(widened, dtype).buffer);
      for (let i = 0; i < 65536; i++) {
        if (Number.isNaN(widened[i]!))
          expect(
            Number.isNaN(widenToFloat32(dtype, new Uint8Array(new Uint16Array([back[i]!]).buffer))[0]!),
          ).toBe(true);
        else if (back[i] !== i) expect(back[i], `pattern 0x${i.toString(16)}`).toBe(i);
      }
    });
  }

  it('F16 widens to the exact values', () => {
    const bits = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x7c00, 0xfc00, 0x8000, 0x3555]);
    expect(Array.from(widenToFloat32('F16', new Uint8Array(bits.buffer)))).toEqual([
      1,
      -2,
      65504,
      2 ** -24,
      2 ** -14,
      Infinity,
      -Infinity,
      -0,
      0.333251953125,
    ]);
  });

  it('F16 rounds to nearest, ties to even, overflow to infinity, underflow to zero', () => {
    const ulpAt1 = 2 ** -10;
    expect(bitsOf('F16', [1 + ulpAt1 / 2, 1 + (3 * ulpAt1) / 2, 1 + ulpAt1 * 0.51])).toEqual([
      0x3c00, 0x3c02, 0x3c01,
    ]);
    expect(bitsOf('F16', [65519, 65520, 1e6, -1e6])).toEqual([0x7bff, 0x7c00, 0x7c00, 0xfc00]);
    expect(bitsOf('F16', [2 ** -25, 2 ** -25 * 1.01, 3 * 2 ** -25, 2 ** -26])).toEqual([
      0x0000, 0x0001, 0x0002, 0x0000,
    ]);
    // A subnormal rounding up into the smallest normal.
    expect(bitsOf('F16', [2 ** -14 - 2 ** -25])).toEqual([0x0400]);
  });

  it('BF16 rounds to nearest, ties to even (as torch does)', () => {
    const ulpAt1 = 2 ** -7;
    expect(bitsOf('BF16', [1 + ulpAt1 / 2, 1 + (3 * ulpAt1) / 2, 1 + ulpAt1 * 0.51, -1])).toEqual([
      0x3f80, 0x3f82, 0x3f81, 0xbf80,
    ]);
    expect(bitsOf('BF16', [3.4028234663852886e38, Infinity])).toEqual([0x7f80, 0x7f80]);
  });
});

describe('safetensors files', () => {
  it.skipIf(!flanTiny)('reserializing the fixture gives its exact bytes', () => {
    const bytes = new Uint8Array(readFileSync(join(flanTiny!, 'model.safetensors')));
    const file = parseSafetensors(bytes);
    const tensors = [...file.tensors.values()].map((e) => ({
      name: e.name,
      shape: e.shape,
      data: readFloat32(file, e.name),
    }));
    expect(Buffer.from(serializeSafetensors(tensors, file.metadata)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('writes F16/BF16 headers with the right offsets and an 8-byte aligned data start', () => {
    const out = serializeSafetensors(
      [
        { name: 'b', shape: [3], data: new Float32Array([1, 2, 3]) },
        { name: 'a', shape: [1, 2], data: new Float32Array([-1, 0.5]) },
      ],
      { format: 'pt' },
      { dtype: 'BF16' },
    );
    const file = parseSafetensors(out);
    expect((file.tensors.get('a')!.byteOffset - 8) % 8).toBe(0);
    expect([...file.tensors.values()].map((e) => [e.name, e.dtype, e.byteLength])).toEqual([
      ['a', 'BF16', 4],
      ['b', 'BF16', 6],
    ]);
    expect(Array.from(readFloat32(file, 'b'))).toEqual([1, 2, 3]);
    expect(Array.from(readFloat32(file, 'a'))).toEqual([-1, 0.5]);
  });

  it('refuses a header that is not JSON, duplicate names, and data that does not match the shape', () => {
    const bad = new Uint8Array(16);
    new DataView(bad.buffer).setBigUint64(0, 8n, true);
    bad.set(new TextEncoder().encode('{"a": [}'), 8);
    expect(() => parseSafetensors(bad, 'x.safetensors')).toThrow(/x\.safetensors: header is not valid JSON/);
    const t = { name: 'w', shape: [2], data: new Float32Array(2) };
    expect(() => serializeSafetensors([t, t])).toThrow(/tensor "w": appears twice/);
    expect(() => serializeSafetensors([{ ...t, shape: [3] }])).toThrow(
      /tensor "w": has 2 values but shape \[3\]/,
    );
  });
});
