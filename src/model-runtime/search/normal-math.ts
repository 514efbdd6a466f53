const SQRT2PI = Math.sqrt(2 * Math.PI);
const LOG_SQRT2PI = Math.log(SQRT2PI);

/** log of the standard normal density. */
export function logNormalPdf(z: number): number {
  return -0.5 * z * z - LOG_SQRT2PI;
}

/** Upper tail Q(x) = P(Z > x) for x >= 3, by its continued fraction (Lentz's method). */
function upperTail(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    d = x + k * d;
    d = d === 0 ? tiny : 1 / d;
    c = x + k / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(logNormalPdf(x)) / f;
}

/** Standard normal CDF, accurate to a few ulps relative in both tails. */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= 3) return 1 - upperTail(x);
  if (x <= -3) return upperTail(-x);
  if (x === 0) return 0.5;
  // Taylor series of the integral of the density around 0.
  let term = x;
  let sum = x;
  const x2 = x * x;
  for (let k = 1; k < 200; k++) {
    term *= x2 / (2 * k + 1);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return 0.5 + sum * Math.exp(logNormalPdf(x));
}

/** P(a < Z < b) for a <= b, computed on the side of 0 that keeps its precision. */
export function normalMass(a: number, b: number): number {
  if (a >= 0) return normalCdf(-a) - normalCdf(-b);
  return normalCdf(b) - normalCdf(a);
}

/**
 * erfc with a relative error below 1.2e-7 everywhere (the Chebyshev fit of Numerical Recipes),
 * tens of times cheaper than the series above: good enough for density ratios in TPE.
 */
function fastErfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Standard normal CDF to about 1e-7 relative, in both tails. */
export function fastNormalCdf(x: number): number {
  return 0.5 * fastErfc(-x / Math.SQRT2);
}

/** P(a < Z < b) to about 1e-7 relative, on the side of 0 that keeps its precision. */
export function fastNormalMass(a: number, b: number): number {
  if (a >= 0) return fastNormalCdf(-a) - fastNormalCdf(-b);
  return fastNormalCdf(b) - fastNormalCdf(a);
}

/** Inverse of the standard normal CDF (Acklam's approximation refined by one Halley step). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
    -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
    4.374664141464968, 2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const pLow = 0.02425;
  let x: number;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - pLow) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
      (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // Refine against the tail that holds the precision.
  const e = x < 0 ? normalCdf(x) - p : 1 - p - normalCdf(-x);
  const sign = x < 0 ? 1 : -1;
  const u = sign * e * SQRT2PI * Math.exp(0.5 * x * x);
  const refined = x - (sign * u) / (1 + (x * sign * u) / 2);
  return Number.isFinite(refined) ? refined : x;
}

export function logSumExp(values: readonly number[]): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}
