import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared';

// `webgpu` (Dawn for Node) loads a native addon relative to its own files: it must stay external.
export default defineConfig(
  packageBuild({ index: 'src/index.ts', node: 'src/node.ts' }, { external: ['webgpu'] }),
);
