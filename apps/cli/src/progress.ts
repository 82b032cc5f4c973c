/** A progress bar with ETA on a terminal (cli-progress); nothing when stderr is not a TTY. */
import cliProgress from 'cli-progress';

export interface ProgressReporter {
  update(progress: { step: number; steps: number; loss: number }): void;
  /** Clears the bar's line before other output is written. */
  interrupt(): void;
  stop(): void;
}

export function progressReporter(label: string): ProgressReporter | undefined {
  if (!process.stderr.isTTY) return undefined;
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} steps | loss {loss} | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update({ step, steps, loss }) {
      if (!started) {
        bar.start(steps, step, { loss: '-' });
        started = true;
      }
      bar.update(step, { loss: loss.toFixed(4) });
    },
    interrupt() {
      if (started) process.stderr.write('\r\x1b[K');
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
