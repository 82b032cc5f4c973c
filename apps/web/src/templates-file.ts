/** A templates file (FLAN's `templates.json`, or one of its shape), parsed with errors naming it. */
import { TemplateCollection } from '@flan-ts/templates';

export function parseTemplatesFile(file: { name: string; text: string }): TemplateCollection {
  let json: unknown;
  try {
    json = JSON.parse(file.text);
  } catch (error) {
    throw new Error(`${file.name}: invalid JSON: ${(error as Error).message}`);
  }
  return TemplateCollection.fromJSON(json, file.name);
}
