import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

/** Test settings every workspace shares: sources of sibling packages resolve through the `@flan-ts/source` condition. */
export function workspaceTestConfig(options: { testTimeout?: number } = {}) {
  return defineConfig({
    resolve: { conditions: ['@flan-ts/source'] },
    ssr: { resolve: { conditions: ['@flan-ts/source'] } },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: options.testTimeout ?? 60_000,
      hookTimeout: options.testTimeout ?? 60_000,
      pool: 'forks',
      maxWorkers: 2,
    },
  });
}

/**
 * WebGPU tests run on Dawn (npm `webgpu`), which opens the Vulkan loader when the process starts, so
 * the environment is set in the config, before the test workers start (they inherit it). Without a
 * GPU the driver is SwiftShader from Debian's chromium (tools/system-deps.sh installs it and the
 * loader, libvulkan1).
 */
export function useSwiftShaderForDawn(): void {
  const chromiumLib = '/usr/lib/chromium';
  if (existsSync(`${chromiumLib}/vk_swiftshader_icd.json`)) {
    process.env.VK_ICD_FILENAMES ??= `${chromiumLib}/vk_swiftshader_icd.json`;
  }
  // No system loader: chromium ships its own copy next to SwiftShader.
  if (
    !existsSync('/usr/lib/x86_64-linux-gnu/libvulkan.so.1') &&
    existsSync(`${chromiumLib}/libvulkan.so.1`)
  ) {
    process.env.LD_LIBRARY_PATH = [process.env.LD_LIBRARY_PATH, chromiumLib].filter(Boolean).join(':');
  }
}
