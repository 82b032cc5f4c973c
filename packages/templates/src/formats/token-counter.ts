/**
 * How few-shot prompts measure their length. The templates package does not depend on a tokenizer:
 * pass any object that counts tokens (e.g. a SentencePiece tokenizer wrapped in one line).
 */
export interface TokenCounter {
  countTokens(text: string): number;
}

/** A rough counter for tests and tokenizer-free use: whitespace-separated words. */
export const whitespaceTokenCounter: TokenCounter = {
  countTokens: (text) => {
    const trimmed = text.trim();
    return trimmed === '' ? 0 : trimmed.split(/\s+/u).length;
  },
};
