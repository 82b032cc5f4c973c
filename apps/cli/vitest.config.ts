import { workspaceTestConfig } from '../../vitest.shared';

export default workspaceTestConfig({ testTimeout: 120_000 });
