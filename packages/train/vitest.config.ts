import { existsSync } from 'node:fs';
import { workspaceTestConfig } from '../../vitest.shared';

// WebGPU tests run on Dawn (npm `webgpu`), which opens the Vulkan loader when the process starts, so the
// environment is set here, before the test workers start (they inherit it). Without a GPU the driver
// is SwiftShader from Debian's chromium (tools/system-deps.sh installs it and the loader, libvulkan1).
const CHROMIUM_LIB = '/usr/lib/chromium';
if (existsSync(`${CHROMIUM_LIB}/vk_swiftshader_icd.json`)) {
  process.env.VK_ICD_FILENAMES ??= `${CHROMIUM_LIB}/vk_swiftshader_icd.json`;
}
// No system loader: chromium ships its own copy next to SwiftShader.
if (!existsSync('/usr/lib/x86_64-linux-gnu/libvulkan.so.1') && existsSync(`${CHROMIUM_LIB}/libvulkan.so.1`)) {
  process.env.LD_LIBRARY_PATH = [process.env.LD_LIBRARY_PATH, CHROMIUM_LIB].filter(Boolean).join(':');
}

export default workspaceTestConfig();
