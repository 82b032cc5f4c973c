import { useSwiftShaderForDawn, workspaceTestConfig } from '../../vitest.shared';

// The WebGPU tests (Dawn on SwiftShader) need the Vulkan environment before the workers start.
useSwiftShaderForDawn();

export default workspaceTestConfig();
