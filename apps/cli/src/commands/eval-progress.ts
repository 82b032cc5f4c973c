/**
 * `flan eval run` progress: on a terminal, a bar with ETA per benchmark × format × mode (cli-progress,
 * as `flan train`'s bar); otherwise one plain line per unit when it finishes, so logs stay readable.
 */
import cliProgress from 'cli-progress';
import type { EvalProgress } from '@flan-ts/eval';

export interface EvalProgressDisplay {
  update(progress: EvalProgress): void;
  stop(): void;
}

const unitLabel = (p: EvalProgress) => `${p.benchmark} ${p.format} (${p.mode})`;

export function evalProgressDisplay(stream: NodeJS.WriteStream = process.stderr): EvalProgressDisplay {
  const started = Date.now();
  if (!stream.isTTY) {
    const finished = new Set<number>();
    return {
      update(p) {
        if (p.done < p.total || finished.has(p.unit)) return;
        finished.add(p.unit);
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        stream.write(
          `${unitLabel(p)}: ${p.total}/${p.total} examples (${p.cached} cached) at ${seconds} s\n`,
        );
      },
      stop() {},
    };
  }
  const bars = new cliProgress.MultiBar(
    {
      format: '{label} [{bar}] {value}/{total} | {cached} cached | ETA {eta_formatted}',
      stream,
      hideCursor: true,
      clearOnComplete: false,
      // The ETA comes from the examples computed, not those found in the cache.
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  const width = 28;
  const byUnit = new Map<number, cliProgress.SingleBar>();
  return {
    update(p) {
      let bar = byUnit.get(p.unit);
      if (bar === undefined) {
        bar = bars.create(p.total, p.done, { label: unitLabel(p).padEnd(width), cached: p.cached });
        byUnit.set(p.unit, bar);
      } else bar.update(p.done, { cached: p.cached });
    },
    stop() {
      bars.stop();
    },
  };
}
