import { workspaceTestConfig } from '../../vitest.shared';

// Browser tests drive the built app in headless Chromium: slow on 2 cores, so one file at a time.
export default workspaceTestConfig({ testTimeout: 300_000 });
