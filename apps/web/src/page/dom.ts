/** Small DOM helpers and the page's tables (the metrics table, definition lists). */
import type { TrainPoint } from '../protocol';

export const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
export const value = (id: string) => $<HTMLInputElement>(id).value;
export const num = (id: string) => Number(value(id));
export const checked = (id: string) => $<HTMLInputElement>(id).checked;
export const setText = (id: string, text: string) => ($(id).textContent = text);
export const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

export const pct = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(1));

export function showInfo(rows: [string, string][]): void {
  $('model-info').replaceChildren(
    ...rows.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      return [dt, dd];
    }),
  );
}

/** The chart's numbers as a table (for screen readers, and to read exact values). */
export function metricsRow(p: TrainPoint): void {
  const body = $<HTMLTableElement>('metrics-table').tBodies[0]!;
  let row = body.querySelector<HTMLTableRowElement>(`tr[data-step="${p.step}"]`);
  if (!row) {
    row = document.createElement('tr');
    row.dataset.step = String(p.step);
    for (let i = 0; i < 5; i++) cell(row, i === 0 ? String(p.step) : '');
    body.append(row);
  }
  const set = (i: number, text: string) => {
    row.children[i]!.textContent = text;
  };
  if (p.kind === 'eval') return set(2, p.loss.toFixed(4));
  set(1, p.loss.toFixed(4));
  set(3, p.learningRate?.toExponential(2) ?? '');
  set(4, (p.tokensPerSecond ?? 0).toFixed(0));
}

export function cell(row: HTMLTableRowElement, text: string, header = false): void {
  const c = document.createElement(header ? 'th' : 'td');
  c.textContent = text;
  row.append(c);
}
