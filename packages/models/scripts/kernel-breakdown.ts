/** Kernel time of a `tf.profile` run, summed per kernel (and input shapes), for the profile scripts. */
import type * as tf from '@tensorflow/tfjs-core';

type ProfileInfo = Awaited<ReturnType<typeof tf.profile>>;

/** Prints the `top` costliest kernels (ms, calls, name) and returns the total kernel ms; scopes are skipped. */
export function printKernelBreakdown(info: ProfileInfo, options: { byShape: boolean; top: number }): number {
  const agg = new Map<string, { ms: number; n: number }>();
  let total = 0;
  for (const k of info.kernels) {
    if (k.name === 'unnamed scope') continue;
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const key = options.byShape ? `${k.name} ${JSON.stringify(k.inputShapes)}` : k.name;
    const a = agg.get(key) ?? { ms: 0, n: 0 };
    a.ms += ms;
    a.n += 1;
    agg.set(key, a);
    total += ms;
  }
  console.log('total kernel ms', total.toFixed(1), 'kernels', info.kernels.length);
  for (const [k, v] of [...agg].sort((a, b) => b[1].ms - a[1].ms).slice(0, options.top))
    console.log(v.ms.toFixed(1).padStart(8), String(v.n).padStart(4), k);
  return total;
}
