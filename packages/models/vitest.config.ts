import { existsSync } from 'node:fs';
import { workspaceTestConfig } from '../../vitest.shared';

// WebGPU tests (test/webgpu*.test.ts) run on Dawn + SwiftShader when there is no GPU. Chromium ships
// SwiftShader and the Vulkan loader Dawn dlopens; the loader path must be in the environment before the
// test workers start, so it is set here (workers inherit it).
const CHROMIUM_LIB = '/usr/lib/chromium';
if (existsSync(`${CHROMIUM_LIB}/libvulkan.so.1`) && !existsSync('/usr/lib/x86_64-linux-gnu/libvulkan.so.1')) {
  process.env.LD_LIBRARY_PATH = [process.env.LD_LIBRARY_PATH, CHROMIUM_LIB].filter(Boolean).join(':');
  process.env.VK_ICD_FILENAMES ??= `${CHROMIUM_LIB}/vk_swiftshader_icd.json`;
}

export default workspaceTestConfig();
