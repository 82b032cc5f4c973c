/**
 * The live loss chart: uPlot (≈50 KB, made for streaming time series; redraws thousands of points per
 * frame) with training loss, validation loss and the learning rate on a second axis.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { TrainPoint } from '../protocol';

export class LossChart {
  private readonly steps: number[] = [];
  private readonly train: (number | null)[] = [];
  private readonly valid: (number | null)[] = [];
  private readonly lr: (number | null)[] = [];
  private readonly plot: uPlot;

  constructor(target: HTMLElement) {
    this.plot = new uPlot(
      {
        width: Math.min(target.clientWidth || 640, 900),
        height: 260,
        scales: { x: { time: false } },
        series: [
          { label: 'step' },
          { label: 'training loss', stroke: '#1f6feb', width: 2 },
          { label: 'validation loss', stroke: '#d9480f', width: 2, points: { show: true }, spanGaps: true },
          { label: 'learning rate', stroke: '#2f9e44', scale: 'lr', dash: [4, 4] },
        ],
        axes: [
          { label: 'step' },
          { label: 'loss' },
          { scale: 'lr', side: 1, label: 'learning rate', grid: { show: false } },
        ],
      },
      [[], [], [], []],
      target,
    );
    new ResizeObserver(() =>
      this.plot.setSize({ width: Math.min(target.clientWidth, 900), height: 260 }),
    ).observe(target);
  }

  add(p: TrainPoint): void {
    let i = this.steps.indexOf(p.step);
    if (i < 0) {
      this.steps.push(p.step);
      this.train.push(null);
      this.valid.push(null);
      this.lr.push(null);
      i = this.steps.length - 1;
    }
    if (p.kind === 'train') {
      this.train[i] = p.loss;
      this.lr[i] = p.learningRate ?? null;
    } else this.valid[i] = p.loss;
    this.plot.setData([this.steps, this.train, this.valid, this.lr]);
  }

  clear(): void {
    for (const a of [this.steps, this.train, this.valid, this.lr]) a.length = 0;
    this.plot.setData([[], [], [], []]);
  }
}
