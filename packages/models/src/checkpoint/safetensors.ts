/**
 * The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
 * length N, an N-byte JSON header of `{name: {dtype, shape, data_offsets}}` plus optional
 * `__metadata__`, then the tensor bytes. Every tensor is read as float32, whatever its stored dtype.
 */
import { CheckpointError } from './errors';

export type SafetensorsDType = 'F32' | 'F16' | 'BF16';

const BYTES_PER_ELEMENT: Record<SafetensorsDType, number> = { F32: 4, F16: 2, BF16: 2 };

export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  /** Offset of the tensor's first byte from the start of the file bytes. */
  byteOffset: number;
  byteLength: number;
}

export interface SafetensorsFile {
  /** Where the bytes came from, for error messages. */
  source: string;
  metadata: Record<string, string>;
  /** Entries in header order. */
  tensors: Map<string, SafetensorsEntry>;
  bytes: Uint8Array;
}

export interface NamedFloat32Tensor {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

const MAX_HEADER_BYTES = 100_000_000;

/** Parses and validates the header; tensor data stays in `bytes` until read with {@link readFloat32}. */
export function parseSafetensors(bytes: Uint8Array, source = '<bytes>'): SafetensorsFile {
  if (bytes.byteLength < 8) throw new CheckpointError(`truncated: ${bytes.byteLength} bytes, no header length`, source);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > bytes.byteLength) {
    throw new CheckpointError(
      `header length ${headerLength} does not fit in the file (${bytes.byteLength} bytes): truncated or not safetensors`,
      source,
    );
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    throw new CheckpointError(`header is not valid JSON: ${(error as Error).message}`, source);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new CheckpointError('header is not a JSON object', source);
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, SafetensorsEntry>();
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      Object.assign(metadata, value);
      continue;
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info?.dtype !== 'string' || !(info.dtype in BYTES_PER_ELEMENT)) {
      throw new CheckpointError(
        `unsupported dtype ${JSON.stringify(info?.dtype)} (supported: F32, F16, BF16)`,
        source,
        name,
      );
    }
    const dtype = info.dtype as SafetensorsDType;
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new CheckpointError(`shape ${JSON.stringify(shape)} is not a list of sizes`, source, name);
    }
    const offsets = info.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      throw new CheckpointError(`data_offsets ${JSON.stringify(offsets)} are not [begin, end]`, source, name);
    }
    const [begin, end] = offsets as [number, number];
    const expected = shape.reduce((a: number, b: number) => a * b, 1) * BYTES_PER_ELEMENT[dtype];
    if (end - begin !== expected) {
      throw new CheckpointError(
        `data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${dtype} ${JSON.stringify(shape)} needs ${expected}`,
        source,
        name,
      );
    }
    if (end > dataLength) {
      throw new CheckpointError(
        `data_offsets end ${end} is past the end of the data (${dataLength} bytes): file truncated or header wrong`,
        source,
        name,
      );
    }
    tensors.set(name, { name, dtype, shape, byteOffset: dataStart + begin, byteLength: end - begin });
  }
  return { source, metadata, tensors, bytes };
}

/** The named tensor as float32 (F16 and BF16 are widened). Aligned F32 data is returned as a view, not a copy. */
export function readFloat32(file: SafetensorsFile, name: string): Float32Array {
  const entry = file.tensors.get(name);
  if (!entry) throw new CheckpointError('missing tensor', file.source, name);
  const { bytes } = file;
  const start = bytes.byteOffset + entry.byteOffset;
  const count = entry.byteLength / BYTES_PER_ELEMENT[entry.dtype];
  if (entry.dtype === 'F32') {
    if (start % 4 === 0) return new Float32Array(bytes.buffer, start, count);
    return new Float32Array(bytes.slice(entry.byteOffset, entry.byteOffset + entry.byteLength).buffer);
  }
  const view = new DataView(bytes.buffer, start, entry.byteLength);
  const out = new Float32Array(count);
  if (entry.dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = view.getUint16(2 * i, true) << 16;
  } else {
    for (let i = 0; i < count; i++) out[i] = float16ToFloat32(view.getUint16(2 * i, true));
  }
  return out;
}

function float16ToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * Serializes float32 tensors as Hugging Face writes them: names sorted, contiguous data, and the
 * header padded with spaces so the data starts on an 8-byte boundary.
 */
export function serializeSafetensors(
  tensors: readonly NamedFloat32Tensor[],
  metadata: Record<string, string> = { format: 'pt' },
): Uint8Array {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of sorted) {
    const expected = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== expected) {
      throw new CheckpointError(`has ${t.data.length} values but shape ${JSON.stringify(t.shape)}`, undefined, t.name);
    }
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  const encoder = new TextEncoder();
  const pad = (8 - (encoder.encode(json).byteLength % 8)) % 8;
  json += ' '.repeat(pad);
  const headerBytes = encoder.encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const t of sorted) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}
