/**
 * This project's own templates for chain-of-thought data with fields `question`, `answer` and
 * `chain_of_thought` (the Flan CoT training sets). Written for flan-ts; FLAN's own templates are
 * loaded from its templates.json instead.
 */
import type { Template } from '../templates/template';

/** Answer-only templates (zero-shot and few-shot formats). */
export const COT_DATA_ANSWER_TEMPLATES: readonly Template[] = Object.freeze([
  { name: 'qa-plain', input: '{question}', target: '{answer}' },
  { name: 'qa-labelled', input: 'Question: {question}\nAnswer:', target: '{answer}' },
  { name: 'qa-instruction', input: 'Answer the following question.\n\n{question}', target: '{answer}' },
  { name: 'qa-final-only', input: '{question}\n\nReply with the final answer only.', target: '{answer}' },
  { name: 'qa-short', input: 'Q: {question}\nA:', target: '{answer}' },
]);

/** Rationale + answer templates (cot and few-shot-cot formats). */
export const COT_DATA_RATIONALE_TEMPLATES: readonly Template[] = Object.freeze([
  { name: 'cot-plain', input: '{question}', target: '{chain_of_thought} So the answer is {answer}.' },
  { name: 'cot-short', input: 'Q: {question}\nA:', target: '{chain_of_thought} The answer is {answer}.' },
  {
    name: 'cot-explain',
    input: 'Work through this problem and explain your reasoning.\n\n{question}',
    target: '{chain_of_thought}\nSo the answer is {answer}.',
  },
  {
    name: 'cot-labelled',
    input: 'Question: {question}\nShow the reasoning, then give the answer.',
    target: 'Reasoning: {chain_of_thought}\nThe answer is {answer}.',
  },
  {
    name: 'cot-think',
    input: '{question}\nThink it through before you answer.',
    target: '{chain_of_thought} So the answer is {answer}.',
  },
]);
