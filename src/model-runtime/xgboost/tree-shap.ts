/**
 * Exact tree SHAP (Lundberg, Erion & Lee 2018, algorithm 2) on the raw trees read from a
 * booster's bytes, weighing each path by the nodes' covers (the training rows' hessian sums), as
 * XGBoost's own `pred_contribs` does (`RegTree::CalculateContributions`). Per row: one value per
 * feature and a bias (the base score plus every tree's cover-weighted mean leaf), which add up to
 * the model's raw output. Computed in float64 (XGBoost sums in float32, so the two agree to about
 * 1e-6 relative).
 */

import { RawModel, RawTree, readModel } from './xgboost-trees';

/** A row's contributions in the model's output space: `bias + sum(phi) = raw prediction`. */
export interface RawContributions {
  bias: number;
  phi: Float64Array;
}

/** One unique path of tree SHAP: parallel arrays, one slot per element, level after level. */
class PathBuffer {
  readonly feature: Int32Array;
  readonly zero: Float64Array;
  readonly one: Float64Array;
  readonly weight: Float64Array;

  constructor(size: number) {
    this.feature = new Int32Array(size);
    this.zero = new Float64Array(size);
    this.one = new Float64Array(size);
    this.weight = new Float64Array(size);
  }

  /** Plain loops: for the few elements of a path, faster than four `copyWithin` calls. */
  copy(from: number, to: number, count: number): void {
    const { feature, zero, one, weight } = this;
    for (let i = 0; i < count; i++) {
      feature[to + i] = feature[from + i];
      zero[to + i] = zero[from + i];
      one[to + i] = one[from + i];
      weight[to + i] = weight[from + i];
    }
  }
}

/** 1/k for the path lengths a tree can have: multiplications instead of divisions below. */
const INVERSE = Float64Array.from({ length: 64 }, (_, k) => (k === 0 ? 0 : 1 / k));

function extendPath(
  p: PathBuffer,
  at: number,
  depth: number,
  zeroFraction: number,
  oneFraction: number,
  feature: number,
): void {
  p.feature[at + depth] = feature;
  p.zero[at + depth] = zeroFraction;
  p.one[at + depth] = oneFraction;
  p.weight[at + depth] = depth === 0 ? 1 : 0;
  const weight = p.weight;
  const one = oneFraction * INVERSE[depth + 1];
  const zero = zeroFraction * INVERSE[depth + 1];
  for (let i = depth - 1; i >= 0; i--) {
    weight[at + i + 1] += one * weight[at + i] * (i + 1);
    weight[at + i] = zero * weight[at + i] * (depth - i);
  }
}

function unwindPath(p: PathBuffer, at: number, depth: number, index: number): void {
  const oneFraction = p.one[at + index];
  const zeroFraction = p.zero[at + index];
  let nextOne = p.weight[at + depth];
  for (let i = depth - 1; i >= 0; i--) {
    if (oneFraction !== 0) {
      const tmp = p.weight[at + i];
      p.weight[at + i] = (nextOne * (depth + 1)) / ((i + 1) * oneFraction);
      nextOne = tmp - (p.weight[at + i] * zeroFraction * (depth - i)) / (depth + 1);
    } else {
      p.weight[at + i] = (p.weight[at + i] * (depth + 1)) / (zeroFraction * (depth - i));
    }
  }
  for (let i = index; i < depth; i++) {
    p.feature[at + i] = p.feature[at + i + 1];
    p.zero[at + i] = p.zero[at + i + 1];
    p.one[at + i] = p.one[at + i + 1];
  }
}

function unwoundPathSum(p: PathBuffer, at: number, depth: number, index: number): number {
  const oneFraction = p.one[at + index];
  const zeroFraction = p.zero[at + index];
  const weight = p.weight;
  let nextOne = weight[at + depth];
  let total = 0;
  if (oneFraction !== 0) {
    const up = (depth + 1) / oneFraction;
    const down = zeroFraction * INVERSE[depth + 1];
    for (let i = depth - 1; i >= 0; i--) {
      const tmp = nextOne * up * INVERSE[i + 1];
      total += tmp;
      nextOne = weight[at + i] - tmp * down * (depth - i);
    }
  } else if (zeroFraction !== 0) {
    const up = (depth + 1) / zeroFraction;
    for (let i = depth - 1; i >= 0; i--) total += weight[at + i] * up * INVERSE[depth - i];
  }
  return total;
}

/** The cover-weighted mean leaf under each node (XGBoost's `FillNodeMeanValues`). */
function meanValues(tree: RawTree): Float64Array {
  const means = new Float64Array(tree.left.length);
  const fill = (n: number): number => {
    if (tree.left[n] === -1) return (means[n] = tree.value[n]);
    const l = tree.left[n];
    const r = tree.right[n];
    return (means[n] = (fill(l) * tree.cover[l] + fill(r) * tree.cover[r]) / tree.cover[n]);
  };
  fill(0);
  return means;
}

function maxDepth(tree: RawTree, n = 0): number {
  if (tree.left[n] === -1) return 0;
  return 1 + Math.max(maxDepth(tree, tree.left[n]), maxDepth(tree, tree.right[n]));
}

/** Tree SHAP of one XGBoost regression model; immutable, safe to share. */
export class TreeShap {
  /** The base score plus every tree's cover-weighted mean leaf: the model's expected output. */
  readonly bias: number;
  readonly numFeature: number;
  private readonly trees: readonly RawTree[];
  private readonly path: PathBuffer;

  private constructor(model: RawModel) {
    this.trees = model.trees;
    this.numFeature = model.numFeature;
    let bias = model.baseScore;
    let deepest = 0;
    for (const tree of model.trees) {
      bias += meanValues(tree)[0];
      deepest = Math.max(deepest, maxDepth(tree));
    }
    if (deepest > 60)
      throw new RangeError(`A tree is ${deepest} levels deep; tree SHAP stops at 60`);
    this.bias = bias;
    const levels = deepest + 2;
    this.path = new PathBuffer((levels * (levels + 1)) / 2);
  }

  static fromModelBytes(bytes: Uint8Array): TreeShap {
    return new TreeShap(readModel(bytes));
  }

  /**
   * One row's contributions (`values`: `numFeature` float32 values from `offset`; `missing` or
   * NaN marks a missing value, which follows each node's default direction).
   */
  explainRow(values: Float32Array, offset: number, missing: number): RawContributions {
    const phi = new Float64Array(this.numFeature);
    const row = values.subarray(offset, offset + this.numFeature);
    for (const tree of this.trees) {
      if (tree.left[0] === -1) continue;
      this.recurse(tree, row, missing, phi, 0, 0, 0, 1, 1, -1);
    }
    return { bias: this.bias, phi };
  }

  /**
   * `at`: where the parent's path starts in the buffer; this node's path starts after it (the
   * parent's `depth` + 1 elements), so the parent's stays intact for the other child.
   */
  private recurse(
    tree: RawTree,
    row: Float32Array,
    missing: number,
    phi: Float64Array,
    node: number,
    parentAt: number,
    depth: number,
    parentZero: number,
    parentOne: number,
    parentFeature: number,
  ): void {
    const p = this.path;
    const at = parentAt + depth;
    // The root's path starts at 0 with nothing to copy; a child copies its parent's elements.
    if (depth > 0) p.copy(parentAt, at, depth);
    extendPath(p, at, depth, parentZero, parentOne, parentFeature);
    if (tree.left[node] === -1) {
      const leaf = tree.value[node];
      for (let i = 1; i <= depth; i++) {
        const w = unwoundPathSum(p, at, depth, i);
        phi[p.feature[at + i]] += w * (p.one[at + i] - p.zero[at + i]) * leaf;
      }
      return;
    }
    const feature = tree.feature[node];
    const value = row[feature];
    const isMissing = value === missing || Number.isNaN(value);
    const left = tree.left[node];
    const right = tree.right[node];
    const goesLeft = isMissing ? tree.defaultLeft[node] === 1 : value < tree.value[node];
    const hot = goesLeft ? left : right;
    const cold = goesLeft ? right : left;
    const cover = tree.cover[node];
    const hotZero = tree.cover[hot] / cover;
    const coldZero = tree.cover[cold] / cover;
    let incomingZero = 1;
    let incomingOne = 1;
    let nextDepth = depth;
    let index = 0;
    while (index <= depth && p.feature[at + index] !== feature) index++;
    if (index !== depth + 1) {
      incomingZero = p.zero[at + index];
      incomingOne = p.one[at + index];
      unwindPath(p, at, depth, index);
      nextDepth -= 1;
    }
    this.recurse(
      tree,
      row,
      missing,
      phi,
      hot,
      at,
      nextDepth + 1,
      hotZero * incomingZero,
      incomingOne,
      feature,
    );
    this.recurse(
      tree,
      row,
      missing,
      phi,
      cold,
      at,
      nextDepth + 1,
      coldZero * incomingZero,
      0,
      feature,
    );
  }
}
