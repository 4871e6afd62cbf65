// Seeded pseudo-random numbers for the demo generator.
// Everything the generator draws comes from here so that the same options give
// byte-identical files: no Math.random, no clock.

/** Mix any number of integers into one 32-bit seed (murmur3-style finalizer per part). */
export function hashSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    // Split the part into two 32-bit halves so seeds above 2^32 still matter.
    const lo = part >>> 0;
    const hi = Math.floor(part / 4294967296) >>> 0;
    for (const word of [lo, hi]) {
      let k = Math.imul(word, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h ^= k;
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * sfc32 (Small Fast Counter) generator with convenience draws.
 * Small state, passes PractRand for our purposes, and is fast in JS.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;

  constructor(...seedParts: number[]) {
    this.a = hashSeed(1, ...seedParts);
    this.b = hashSeed(2, ...seedParts);
    this.c = hashSeed(3, ...seedParts);
    this.d = 1;
    // Discard the first outputs: sfc32 needs a few rounds to mix a fresh state.
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [lo, hi], both included. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Standard normal (Box-Muller, caching the second value). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  lognormal(mu: number, sigma: number): number {
    return Math.exp(mu + sigma * this.normal());
  }

  /** Poisson count: exact (Knuth) for small means, rounded normal for large ones. */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean < 30) {
      const limit = Math.exp(-mean);
      let k = 0;
      let p = this.next();
      while (p > limit) {
        k++;
        p *= this.next();
      }
      return k;
    }
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
  }
}

/** Precomputed weighted choice over a fixed table (cumulative weights + linear scan). */
export class Weighted<T> {
  readonly items: readonly T[];
  private readonly cumulative: Float64Array;

  constructor(entries: readonly (readonly [T, number])[]) {
    this.items = entries.map((e) => e[0]);
    this.cumulative = new Float64Array(entries.length);
    let total = 0;
    entries.forEach(([, w], i) => {
      total += w;
      this.cumulative[i] = total;
    });
    for (let i = 0; i < this.cumulative.length; i++) this.cumulative[i] /= total;
  }

  draw(rng: Random): T {
    const u = rng.next();
    const c = this.cumulative;
    for (let i = 0; i < c.length - 1; i++) if (u < c[i]) return this.items[i];
    return this.items[c.length - 1];
  }
}
