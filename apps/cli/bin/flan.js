#!/usr/bin/env node
// Thin launcher so the workspace can link the bin before the first build.
import('../dist/flan.js').catch((error) => {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/flan.js')) {
    console.error('flan: the CLI is not built yet; run `npm run build` in the repository root first.');
    process.exit(1);
  }
  throw error;
});
