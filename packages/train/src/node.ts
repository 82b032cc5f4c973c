export * from './index';
export { loadLoraAdapter, saveLoraAdapter } from './lora/node';
