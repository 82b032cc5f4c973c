/** Browser bundle for the browser test: the package's main entry, exposed on `window`. */
import * as tokenizer from '../../src/index';

(globalThis as unknown as { flanTokenizer: typeof tokenizer }).flanTokenizer = tokenizer;
