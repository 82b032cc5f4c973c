/**
 * Just enough of the WebAssembly binary format to find a module's memory and mark it shared: the
 * threaded kernels need tfjs-backend-wasm's heap to be a `SharedArrayBuffer`, and tfjs's SIMD build
 * defines an ordinary memory. A memory's limits start with a flags byte (bit 0: has a maximum, bit 1:
 * shared); a memory with a maximum becomes shared by setting bit 1 in place, without moving a byte.
 */

/** One section: its id and the byte range of its contents. */
export interface WasmSection {
  id: number;
  start: number;
  end: number;
}

/** Where a memory's limits flags byte sits, and whether it is imported or defined. */
export interface MemoryLimits {
  kind: 'import' | 'definition';
  /** Byte offset of the flags byte. */
  flagsOffset: number;
  flags: number;
}

const SECTION_IMPORT = 2;
const SECTION_MEMORY = 5;
const FLAG_HAS_MAXIMUM = 1;
const FLAG_SHARED = 2;

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public offset: number,
  ) {}

  byte(): number {
    if (this.offset >= this.bytes.length) throw new Error('wasm binary: unexpected end');
    return this.bytes[this.offset++]!;
  }

  /** Unsigned LEB128 (sizes and indices fit in 32 bits). */
  u32(): number {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
  }

  skip(n: number): void {
    this.offset += n;
  }

  /** Skips a limits record (flags, minimum, optional maximum). */
  limits(): void {
    const flags = this.byte();
    this.u32();
    if (flags & FLAG_HAS_MAXIMUM) this.u32();
  }
}

/** The sections of a module, in order. Throws on a binary without the wasm magic. */
export function wasmSections(bytes: Uint8Array): WasmSection[] {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error('not a WebAssembly binary');
  }
  const sections: WasmSection[] = [];
  const r = new Reader(bytes, 8);
  while (r.offset < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    sections.push({ id, start: r.offset, end: r.offset + size });
    r.skip(size);
  }
  return sections;
}

/** Names `module.name` of every import, by kind (`memory`, `function`, ...). */
export function wasmImports(bytes: Uint8Array): { module: string; name: string; kind: string }[] {
  const section = wasmSections(bytes).find((s) => s.id === SECTION_IMPORT);
  if (section === undefined) return [];
  const decoder = new TextDecoder();
  const r = new Reader(bytes, section.start);
  const text = (): string => {
    const length = r.u32();
    const s = decoder.decode(bytes.subarray(r.offset, r.offset + length));
    r.skip(length);
    return s;
  };
  const out: { module: string; name: string; kind: string }[] = [];
  for (let count = r.u32(); count > 0; count--) {
    const module = text();
    const name = text();
    const kind = r.byte();
    out.push({ module, name, kind: ['function', 'table', 'memory', 'global', 'tag'][kind] ?? 'unknown' });
    if (kind === 0) r.u32();
    else if (kind === 1) {
      r.byte();
      r.limits();
    } else if (kind === 2) r.limits();
    else if (kind === 3) r.skip(2);
    else if (kind === 4) {
      r.byte();
      r.u32();
    } else throw new Error(`wasm binary: unknown import kind ${kind}`);
  }
  return out;
}

/** The limits of the module's memories, imported and defined. */
export function memoryLimits(bytes: Uint8Array): MemoryLimits[] {
  const found: MemoryLimits[] = [];
  for (const section of wasmSections(bytes)) {
    const r = new Reader(bytes, section.start);
    if (section.id === SECTION_IMPORT) {
      for (let count = r.u32(); count > 0; count--) {
        r.skip(r.u32());
        r.skip(r.u32());
        const kind = r.byte();
        if (kind === 2) {
          found.push({ kind: 'import', flagsOffset: r.offset, flags: bytes[r.offset]! });
          r.limits();
        } else if (kind === 0) r.u32();
        else if (kind === 1) {
          r.byte();
          r.limits();
        } else if (kind === 3) r.skip(2);
        else {
          r.byte();
          r.u32();
        }
      }
    } else if (section.id === SECTION_MEMORY) {
      for (let count = r.u32(); count > 0; count--) {
        found.push({ kind: 'definition', flagsOffset: r.offset, flags: bytes[r.offset]! });
        r.limits();
      }
    }
  }
  return found;
}

/**
 * A copy of `bytes` whose memory (imported or defined) is shared, or undefined when the module has no
 * memory or its memory has no maximum (a shared memory must declare one).
 */
export function withSharedMemory(bytes: Uint8Array): Uint8Array<ArrayBuffer> | undefined {
  const memories = memoryLimits(bytes);
  const memory = memories[0];
  if (memories.length !== 1 || memory === undefined || (memory.flags & FLAG_HAS_MAXIMUM) === 0)
    return undefined;
  const copy = new Uint8Array(bytes);
  copy[memory.flagsOffset] = memory.flags | FLAG_SHARED;
  return copy;
}

/** Whether the module's single memory is declared shared. */
export function hasSharedMemory(bytes: Uint8Array): boolean {
  const memories = memoryLimits(bytes);
  return memories.length === 1 && (memories[0]!.flags & FLAG_SHARED) !== 0;
}
