import { defaultClientConditions, defineConfig } from 'vite';

/**
 * Cross-origin isolation (COOP/COEP) for SharedArrayBuffer and precise memory figures; `flan web`
 * sends the same headers for the built app.
 */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  // Relative asset URLs: the built app works from any path it is served under.
  base: './',
  // The packages' TypeScript sources (their `@flan-ts/source` export condition): no package build needed.
  resolve: { conditions: ['@flan-ts/source', ...defaultClientConditions] },
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    // tfjs-backend-wasm's glue names Node modules on a path browsers never take.
    rollupOptions: { external: [] },
  },
  server: { headers: isolation },
  preview: { headers: isolation },
});
