export * from './errors';
export {
  pyFormat,
  compileFormat,
  renderCompiled,
  templateFields,
  type CompiledFormat,
} from './format/python-format';
