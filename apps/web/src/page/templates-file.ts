/**
 * The data panel's Flan template family controls: a templates file (picked or fetched), whose
 * families fill the suggestions; shown only when the records are rendered by a family.
 */
import type { FlanFamilySpec } from '../protocol';
import { parseTemplatesFile } from '../templates-file';
import { $, value } from './dom';

let templates: { name: string; text: string } | undefined;

function suggestFamilies(): void {
  if (!templates) return;
  const families = parseTemplatesFile(templates).tasks('patterns');
  $('template-families').replaceChildren(
    ...families.map((f) => Object.assign(document.createElement('option'), { value: f })),
  );
}

/**
 * Wires the controls; `changed` runs when a templates file is read or the family or options field
 * changes, `failed` when reading the file fails.
 */
export function wireTemplateControls(changed: () => void, failed: (message: string) => void): void {
  const show = () => ($('flan-family').hidden = value('data-kind') !== 'flan');
  $('data-kind').addEventListener('change', show);
  show();
  const use = (name: string, text: string) => {
    templates = { name, text };
    try {
      suggestFamilies();
      changed();
    } catch (error) {
      failed((error as Error).message);
    }
  };
  $('templates-file').addEventListener('change', async () => {
    const file = $<HTMLInputElement>('templates-file').files?.[0];
    if (file) use(file.name, await file.text());
  });
  $('templates-url').addEventListener('change', async () => {
    const url = value('templates-url').trim();
    if (!url) return;
    try {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
      use(url, await response.text());
    } catch (error) {
      failed((error as Error).message);
    }
  });
  for (const id of ['template-family', 'options-field'])
    $(id).addEventListener('change', () => templates && changed());
}

/** The chosen family, or a message saying what is missing. */
export function flanFamilySpec(): FlanFamilySpec {
  if (!templates) throw new Error('choose a templates file (or its URL) for the Flan template family');
  const family = value('template-family').trim();
  if (!family) throw new Error('name the Flan template family (the task name in the templates file)');
  return { templates, family, optionsField: value('options-field').trim() };
}
