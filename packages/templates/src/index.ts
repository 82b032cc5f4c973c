/**
 * @flan-ts/templates: instruction templates (Python `str.format` semantics), FLAN options and
 * few-shot / chain-of-thought formats, seqio-style tasks and mixtures with deterministic, resumable,
 * streaming sampling. Browser-safe; file sources and data loaders are in `@flan-ts/templates/node`.
 */
export * from './errors';
export {
  pyFormat,
  checkTemplate,
  compileFormat,
  renderCompiled,
  templateFields,
  type CompiledFormat,
} from './format/python-format';
export { pythonRepr, pythonStr } from './format/python-repr';
export { createRng, deriveRng, deriveSeed, hashString, rngFromState, type Rng } from './rng';

export { renderTemplate, type Fields, type Rendered, type Template } from './templates/template';
export {
  combinedTemplate,
  FLAN_FEW_SHOT_LAYOUT,
  type FewShotLayout,
  type FewShotPattern,
} from './templates/few-shot-pattern';
export { TemplateCollection } from './templates/collection';
export {
  formatOptions,
  formatOptionsLettered,
  formatOptionsRandom,
  optionLetter,
  randomOptionsStyleFromFormatting,
  type RandomOptions,
  type RandomOptionsStyle,
} from './templates/options';

export { whitespaceTokenCounter, type TokenCounter } from './formats/token-counter';
export {
  assembleFewShot,
  FLAN_FEW_SHOT_MAX_LEN,
  type FewShotOptions,
  type FewShotPrompt,
} from './formats/few-shot';
export {
  COT_TRIGGER,
  cotTarget,
  extractCotAnswer,
  withCotTrigger,
  type AnswerPhrase,
} from './formats/chain-of-thought';

export {
  arraySource,
  countRecords,
  iterableSource,
  type InvalidLinePolicy,
  type RecordSource,
  type SourceRecord,
} from './data/source';
export { formatFromName, parseRecords, type TextFormat, type TextFormatOptions } from './data/formats';
export { splitLines, type Line } from './data/lines';
export { textSource, urlSource, type TextSourceOptions } from './data/text-sources';

export {
  FORMAT_NAMES,
  preprocess,
  type FewShotSettings,
  type FormatName,
  type OptionsSettings,
  type Preprocessor,
  type TaskDefinition,
} from './tasks/task';
export {
  renderExample,
  type Exemplar,
  type FewShotParts,
  type MixedExample,
  type RenderExampleOptions,
} from './tasks/render-example';
export { Registry, type MixtureDefinition } from './tasks/registry';
export { DIALOG_TEMPLATES, dialogTurns, type DialogSettings } from './tasks/dialog';
export { DEFAULT_INVERSION_TEMPLATE, invertExample, type InversionSettings } from './tasks/inversion';
export { COT_DATA_ANSWER_TEMPLATES, COT_DATA_RATIONALE_TEMPLATES } from './tasks/cot-templates';
export {
  cotRecordFields,
  DEFAULT_COT_FORMATS,
  FLAN_COT_SETS,
  flanCotTask,
  type FlanCotSet,
} from './tasks/flan-cot';

export {
  mixingRateNumExamples,
  mixtureProbabilities,
  type ExamplesProportional,
  type MixingRate,
} from './mixtures/rates';
export {
  EQUAL_TEMPLATE_MIX,
  MixtureSampler,
  resolveMixture,
  type ResolvedMixture,
  type SamplerOptions,
  type SamplerState,
} from './mixtures/sampler';
export type { TaskCursor } from './mixtures/task-stream';
export {
  exampleToConversation,
  toConversations,
  type ChatTurn,
  type Conversation,
  type ConversationOptions,
} from './chat/conversation';
export {
  renderChat,
  type ChatRenderer,
  type RenderChatOptions,
  type RenderedChat,
} from './chat/response-span';
export type { BbhRecord, MgsmRecord, MmluRecord, TydiqaRecord } from './data/benchmark-records';
