/** Files the user gives: a file input, a dropped set of files or folder, or a directory (File System Access API). */

export type NamedFiles = Record<string, ArrayBuffer>;

/** Reads `files` by their base name; a file that cannot be read (a folder, a file gone since) is named in the error. */
export async function readFiles(files: Iterable<File>): Promise<NamedFiles> {
  const out: NamedFiles = {};
  // Only the base name matters: a checkpoint directory is flat.
  for (const f of files) {
    try {
      out[f.name] = await f.arrayBuffer();
    } catch (error) {
      throw new Error(`${f.name}: could not be read (${(error as Error).message}); give the model's files`);
    }
  }
  return out;
}

/**
 * Files of a checkpoint directory the loaders can use: configs and tokenizer JSON, safetensors weights
 * (shards included), SentencePiece models, chat templates, BPE merges. A clone of a Hugging Face repo
 * often also holds the same weights as `pytorch_model.bin`, `tf_model.h5`, `flax_model.msgpack` or
 * ONNX files, gigabytes the page would read into memory for nothing.
 */
export const USABLE_FILE = /\.(json|safetensors|model|jinja|txt)$/;

/** The usable files ({@link USABLE_FILE}) directly in `dir` (not its subdirectories), by name. */
export async function readDirectory(dir: FileSystemDirectoryHandle): Promise<NamedFiles> {
  const files: File[] = [];
  for await (const entry of (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values())
    if (entry.kind === 'file' && USABLE_FILE.test(entry.name))
      files.push(await (entry as FileSystemFileHandle).getFile());
  return readFiles(files);
}

/**
 * The files of a directory the user picks (Chromium's showDirectoryPicker); `undefined` when the
 * user cancels the picker (an AbortError), which is not an error. Other refusals are thrown.
 */
export async function pickDirectory(): Promise<{ label: string; files: NamedFiles } | undefined> {
  const picker = (window as unknown as { showDirectoryPicker?: () => Promise<FileSystemDirectoryHandle> })
    .showDirectoryPicker;
  if (!picker) throw new Error('this browser cannot pick a directory: choose or drop the files instead');
  let dir: FileSystemDirectoryHandle;
  try {
    dir = await picker.call(window);
  } catch (error) {
    if ((error as Error).name === 'AbortError') return undefined;
    throw new Error(`the directory could not be opened: ${(error as Error).message}`);
  }
  return { label: dir.name, files: await readDirectory(dir) };
}

type HandleItem = DataTransferItem & { getAsFileSystemHandle?: () => Promise<FileSystemHandle | null> };

/**
 * What a drop carries: its files, or (where the browser gives handles, as Chromium does) the files
 * of a dropped folder, labelled by the folder's name; `undefined` when nothing dropped is a file.
 * Call it in the `drop` event itself: the items are readable only there.
 */
export function droppedFiles(
  transfer: DataTransfer,
): Promise<{ label: string; files: NamedFiles } | undefined> {
  // Every handle and file is taken now, before the first await ends the event.
  const items = [...transfer.items]
    .filter((item) => item.kind === 'file')
    .map((item) => ({
      file: item.getAsFile(),
      handle: (item as HandleItem).getAsFileSystemHandle?.() ?? Promise.resolve(null),
    }));
  if (items.length === 0) return Promise.resolve(undefined); // text or a link, not files
  return (async () => {
    const out: NamedFiles = {};
    const folders: string[] = [];
    for (const { file, handle } of items) {
      const h = await handle.catch(() => null);
      if (h?.kind === 'directory') {
        Object.assign(out, await readDirectory(h as FileSystemDirectoryHandle));
        folders.push(h.name);
      } else if (file) Object.assign(out, await readFiles([file]));
    }
    return { label: folders.length === 1 && items.length === 1 ? folders[0]! : 'dropped files', files: out };
  })();
}

/** Offers `files` as download links (one per file) and returns them. */
export function downloadLinks(list: HTMLElement, files: NamedFiles): HTMLAnchorElement[] {
  for (const a of list.querySelectorAll('a')) URL.revokeObjectURL(a.href);
  list.replaceChildren();
  return Object.entries(files).map(([name, bytes]) => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([bytes]));
    a.download = name;
    a.textContent = `${name} (${bytes.byteLength.toLocaleString()} bytes)`;
    const li = document.createElement('li');
    li.append(a);
    list.append(li);
    return a;
  });
}
