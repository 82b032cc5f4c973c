/** Node-only additions: file sources, the shared FLAN data, benchmark loaders, mixture config files. */
export * from './index';
export { fileSource } from './node/file-source';
export {
  flanCotTasks,
  loadFlan2022CollectionWeights,
  loadRandomOptionsStyle,
  loadTemplateFile,
} from './node/flan-data';
export { loadMixtureConfig, type LoadedMixtureConfig } from './node/mixture-config';
export {
  bbhCotPrompt,
  bbhRecords,
  mgsmExemplars,
  mgsmRecords,
  mmluRecords,
  tydiqaRecords,
  type BbhRecord,
  type MgsmExemplar,
  type MgsmRecord,
  type MmluRecord,
  type TydiqaRecord,
} from './node/benchmarks';
