/** Files the user gives: a file input, a dropped set of files, or a directory (File System Access API). */

export type NamedFiles = Record<string, ArrayBuffer>;

export async function readFiles(files: Iterable<File>): Promise<NamedFiles> {
  const out: NamedFiles = {};
  // Only the base name matters: a checkpoint directory is flat.
  for (const f of files) out[f.name] = await f.arrayBuffer();
  return out;
}

/** The files of a directory the user picks (Chromium's showDirectoryPicker). */
export async function pickDirectory(): Promise<{ label: string; files: NamedFiles } | undefined> {
  const picker = (window as unknown as { showDirectoryPicker?: () => Promise<FileSystemDirectoryHandle> })
    .showDirectoryPicker;
  if (!picker) throw new Error('this browser cannot pick a directory: choose or drop the files instead');
  let dir: FileSystemDirectoryHandle;
  try {
    dir = await picker();
  } catch {
    return undefined; // cancelled
  }
  const files: File[] = [];
  for await (const entry of (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values())
    if (entry.kind === 'file') files.push(await (entry as FileSystemFileHandle).getFile());
  return { label: dir.name, files: await readFiles(files) };
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
