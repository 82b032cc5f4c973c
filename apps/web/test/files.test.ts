/** Reading a picked or dropped checkpoint directory: only the files the loaders use are read. */
import { describe, expect, it } from 'vitest';
import { readDirectory } from '../src/page/files';

/** A directory handle over in-memory files that records which ones were opened. */
function fakeDirectory(names: string[], opened: string[]): FileSystemDirectoryHandle {
  const entries = [
    ...names.map((name) => ({
      kind: 'file' as const,
      name,
      getFile: async () => {
        opened.push(name);
        return new File([new TextEncoder().encode(name)], name);
      },
    })),
    { kind: 'directory' as const, name: 'onnx' },
  ];
  return {
    name: 'flan-t5-small',
    values: async function* () {
      yield* entries;
    },
  } as unknown as FileSystemDirectoryHandle;
}

describe('readDirectory', () => {
  it('reads configs, safetensors (shards too), tokenizers and templates, and skips other weight formats', async () => {
    const opened: string[] = [];
    const names = [
      'config.json',
      'generation_config.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
      'spiece.model',
      'tokenizer.json',
      'tokenizer_config.json',
      'chat_template.jinja',
      'merges.txt',
      'pytorch_model.bin',
      'tf_model.h5',
      'flax_model.msgpack',
      'model.onnx',
      'README.md',
      '.gitattributes',
    ];
    const files = await readDirectory(fakeDirectory(names, opened));
    const usable = names.slice(0, 10);
    expect(opened).toEqual(usable);
    expect(Object.keys(files)).toEqual(usable);
    expect(new TextDecoder().decode(files['spiece.model'])).toBe('spiece.model');
  });
});
