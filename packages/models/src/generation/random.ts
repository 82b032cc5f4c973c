/**
 * A small seeded PRNG (sfc32 seeded through splitmix32) so sampling is reproducible from a seed on
 * every platform and backend; `Math.random` cannot be seeded, and torch's generator cannot be
 * reproduced bit for bit without its whole sampling pipeline, so exact parity with HF sampling is
 * not a goal, determinism is.
 */
export type RandomSource = () => number;

export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  const splitmix = (): number => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // Discard the first outputs, which are weakly mixed for nearby seeds.
  for (let i = 0; i < 12; i += 1) next();
  return next;
}
