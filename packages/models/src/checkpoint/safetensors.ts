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

/** Bytes of each element of a stored dtype. */
export function bytesPerElement(dtype: SafetensorsDType): number {
  return BYTES_PER_ELEMENT[dtype];
}

/**
 * Reads the 8-byte little-endian header length from the first bytes of a file of `fileLength` bytes,
 * checking that a header of that length fits in the file.
 */
export function readHeaderLength(prefix: Uint8Array, fileLength: number, source = '<bytes>'): number {
  if (prefix.byteLength < 8 || fileLength < 8) {
    throw new CheckpointError(`truncated: ${fileLength} bytes, no header length`, source);
  }
  const headerLength = Number(new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > fileLength) {
    throw new CheckpointError(
      `header length ${headerLength} does not fit in the file (${fileLength} bytes): truncated or not safetensors`,
      source,
    );
  }
  return headerLength;
}

/**
 * Parses and validates the JSON header of a file whose data section (after the header) holds
 * `dataLength` bytes. Entry offsets are from the start of the file, so they are valid for positional
 * reads as well as for the whole file's bytes.
 */
export function parseSafetensorsHeader(
  headerBytes: Uint8Array,
  dataLength: number,
  source = '<bytes>',
): { metadata: Record<string, string>; tensors: Map<string, SafetensorsEntry> } {
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (error) {
    throw new CheckpointError(`header is not valid JSON: ${(error as Error).message}`, source);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new CheckpointError('header is not a JSON object', source);
  }
  const dataStart = 8 + headerBytes.byteLength;
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
  return { metadata, tensors };
}

/** Parses and validates the header; tensor data stays in `bytes` until read with {@link readFloat32}. */
export function parseSafetensors(bytes: Uint8Array, source = '<bytes>'): SafetensorsFile {
  const headerLength = readHeaderLength(bytes, bytes.byteLength, source);
  const dataLength = bytes.byteLength - 8 - headerLength;
  const { metadata, tensors } = parseSafetensorsHeader(
    bytes.subarray(8, 8 + headerLength),
    dataLength,
    source,
  );
  return { source, metadata, tensors, bytes };
}

/** The named tensor as float32 (F16 and BF16 are widened). Aligned F32 data is returned as a view, not a copy. */
export function readFloat32(file: SafetensorsFile, name: string): Float32Array {
  const entry = file.tensors.get(name);
  if (!entry) throw new CheckpointError('missing tensor', file.source, name);
  const { bytes } = file;
  const start = bytes.byteOffset + entry.byteOffset;
  if (entry.dtype === 'F32') {
    if (start % 4 === 0) return new Float32Array(bytes.buffer, start, entry.byteLength / 4);
    return new Float32Array(bytes.slice(entry.byteOffset, entry.byteOffset + entry.byteLength).buffer);
  }
  return widenToFloat32(entry.dtype, bytes.subarray(entry.byteOffset, entry.byteOffset + entry.byteLength));
}

/** Little-endian F16 or BF16 bytes as a new Float32Array. */
export function widenToFloat32(dtype: 'F16' | 'BF16', bytes: Uint8Array): Float32Array {
  const count = bytes.byteLength / 2;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  if (dtype === 'BF16') {
    // bfloat16 is the top half of a float32: widening is exact.
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

/** float32 → bfloat16 bits, rounding to nearest even (as torch's `.to(torch.bfloat16)`). */
function float32ToBfloat16Bits(bits: number): number {
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return ((bits >>> 16) | 0x40) & 0xffff;
  const rounded = bits + 0x7fff + ((bits >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/** float32 → IEEE half bits, rounding to nearest even; overflow goes to ±Infinity. */
function float32ToFloat16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  let e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  let m = mantissa >>> 13;
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

/** The tensor's values in the stored dtype's little-endian bytes (F32: a view, no copy). */
export function encodeTensorData(data: Float32Array, dtype: SafetensorsDType): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.length * 2);
  const view = new DataView(out.buffer);
  if (dtype === 'BF16') {
    const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
    for (let i = 0; i < data.length; i++) view.setUint16(2 * i, float32ToBfloat16Bits(bits[i]!), true);
  } else {
    for (let i = 0; i < data.length; i++) view.setUint16(2 * i, float32ToFloat16Bits(data[i]!), true);
  }
  return out;
}

export interface SerializeOptions {
  /** Stored dtype of every tensor (default F32; F16 and BF16 round to nearest even). */
  dtype?: SafetensorsDType;
}

/**
 * The header part of a safetensors file (8-byte length + JSON padded with spaces so the data starts
 * on an 8-byte boundary) and the tensors in the order their data must follow it. Lets a writer
 * stream tensor data to disk instead of building the whole file in memory.
 */
export function encodeSafetensorsHeader(
  tensors: readonly NamedFloat32Tensor[],
  metadata: Record<string, string> = { format: 'pt' },
  options: SerializeOptions = {},
): { header: Uint8Array; ordered: NamedFloat32Tensor[]; dataLength: number } {
  const dtype = options.dtype ?? 'F32';
  const ordered = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const json: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (let i = 0; i < ordered.length; i++) {
    const t = ordered[i]!;
    if (i > 0 && ordered[i - 1]!.name === t.name)
      throw new CheckpointError('appears twice', undefined, t.name);
    const expected = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== expected) {
      throw new CheckpointError(
        `has ${t.data.length} values but shape ${JSON.stringify(t.shape)}`,
        undefined,
        t.name,
      );
    }
    const byteLength = expected * BYTES_PER_ELEMENT[dtype];
    json[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + byteLength] };
    offset += byteLength;
  }
  let text = JSON.stringify(json);
  const encoder = new TextEncoder();
  text += ' '.repeat((8 - (encoder.encode(text).byteLength % 8)) % 8);
  const headerJson = encoder.encode(text);
  const header = new Uint8Array(8 + headerJson.byteLength);
  new DataView(header.buffer).setBigUint64(0, BigInt(headerJson.byteLength), true);
  header.set(headerJson, 8);
  return { header, ordered, dataLength: offset };
}

/**
 * Serializes float32 tensors as Hugging Face writes them: names sorted, contiguous data, and the
 * header padded with spaces so the data starts on an 8-byte boundary.
 */
export function serializeSafetensors(
  tensors: readonly NamedFloat32Tensor[],
  metadata: Record<string, string> = { format: 'pt' },
  options: SerializeOptions = {},
): Uint8Array {
  const dtype = options.dtype ?? 'F32';
  const { header, ordered, dataLength } = encodeSafetensorsHeader(tensors, metadata, options);
  const out = new Uint8Array(header.byteLength + dataLength);
  out.set(header, 0);
  let at = header.byteLength;
  for (const t of ordered) {
    const data = encodeTensorData(t.data, dtype);
    out.set(data, at);
    at += data.byteLength;
  }
  return out;
}
