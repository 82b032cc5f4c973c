/**
 * Node-only backend setup. WebGPU in Node runs on Dawn from the npm `webgpu` package (on SwiftShader
 * when the machine has no GPU: set `VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json`).
 * tfjs-backend-webgpu registers itself only if `navigator.gpu` exists when it is first imported, so
 * the globals are installed before `initBackend` imports it.
 */
import { BackendError, type BackendName, type BackendOptions, initBackend } from './index';

interface DawnModule {
  create(flags: string[]): unknown;
  globals: Record<string, unknown>;
}

let dawnInstalled = false;

async function installDawn(): Promise<void> {
  if (dawnInstalled) return;
  let dawn: DawnModule;
  try {
    dawn = (await import('webgpu')) as unknown as DawnModule;
  } catch (error) {
    throw new BackendError(
      `WebGPU in Node needs the npm package "webgpu" (npm install webgpu): ${(error as Error).message}`,
      'webgpu',
    );
  }
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  const g = globalThis as Record<string, unknown>;
  Object.assign(g, dawn.globals);
  const gpu = dawn.create([]) as { requestAdapter(): Promise<unknown> };
  if ((await gpu.requestAdapter()) === null) {
    throw new BackendError(
      'no WebGPU adapter. Without a GPU, use SwiftShader from Chromium: run with ' +
        'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json and a Vulkan loader (Debian: libvulkan1; ' +
        'or LD_LIBRARY_PATH=/usr/lib/chromium)',
      'webgpu',
    );
  }
  const nav = g.navigator as Record<string, unknown> | undefined;
  if (nav === undefined) g.navigator = { gpu };
  else Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  dawnInstalled = true;
}

/**
 * `initBackend` for Node: `wasm` (the default), `cpu`, or `webgpu` through Dawn; `options.threads`
 * sets the wasm kernels' threads (default `os.availableParallelism()`).
 *
 * @example
 * ```ts
 * import { initNodeBackend } from '@flan-ts/models/node';
 * await initNodeBackend(process.env.FLAN_BACKEND === 'webgpu' ? 'webgpu' : 'wasm');
 * ```
 */
export async function initNodeBackend(
  name: BackendName = 'wasm',
  options: BackendOptions = {},
): Promise<BackendName> {
  if (name === 'webgpu') await installDawn();
  return initBackend(name, options);
}

/**
 * Releases the WebGPU device held by tfjs (Dawn has crashed at process exit with a live device).
 * Call once at the end of a WebGPU session: WebGPU cannot be initialised again in this process.
 */
export async function releaseWebGpu(): Promise<void> {
  const tf = await import('@tensorflow/tfjs-core');
  if (tf.findBackend('webgpu') === null) return;
  const backend = tf.findBackend('webgpu') as unknown as { device?: { destroy?: () => void } };
  if (tf.getBackend() === 'webgpu') {
    const fallback = tf.findBackend('wasm') !== null ? 'wasm' : 'cpu';
    if (fallback === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
    await tf.setBackend(fallback);
  }
  const device = backend.device;
  tf.removeBackend('webgpu');
  device?.destroy?.();
}
