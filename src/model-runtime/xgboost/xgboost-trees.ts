/**
 * XGBoost's trees, read from the booster's saved bytes and evaluated in plain JS.
 *
 * Why: the WebAssembly booster predicts one row per call through a fresh DMatrix (about 17 µs for
 * 1,000 trees); the trees themselves are a few comparisons each. This reads the binary model
 * format of XGBoost 0.7 (the version ml-xgboost 1.1.2 compiles) and evaluates it the way XGBoost
 * does, in float32, so the answers are XGBoost's own to the bit (the model self-check compares).
 *
 * Layout for speed: each tree is stored as a complete binary tree of its own depth (a leaf above
 * the bottom is copied down behind "always left" nodes), so a row goes down exactly `depth` levels
 * with no branch on the node kind. Split thresholds are replaced by their rank among the feature's
 * distinct thresholds, and each row's value by the number of thresholds at or below it: "value <
 * threshold" (XGBoost's go-left test) becomes "rank(value) <= rank(threshold)", an integer
 * comparison done without a branch.
 */

import { mulberry32 } from '../../common/seeded-random';

/** Thrown when the bytes are not an XGBoost 0.7 gbtree regression model this reader knows. */
export class UnsupportedXgboostModelError extends Error {
  constructor(reason: string) {
    super(`Cannot read the XGBoost model: ${reason}`);
    this.name = 'UnsupportedXgboostModelError';
  }
}

/** Complete layouts double per level; a deeper tree than this would take too much memory. */
const MAX_DEPTH = 16;
/**
 * Threshold rank of the padding nodes: no value ranks this high, so they always go left. A
 * feature may have fewer distinct thresholds than this (ranks are 16 bits).
 */
const MAX_RANK = 0xffff;

export interface RawTree {
  /** Per node: left child or -1 for a leaf, right child, feature, default-left, threshold or leaf value. */
  left: Int32Array;
  right: Int32Array;
  feature: Uint32Array;
  defaultLeft: Uint8Array;
  value: Float32Array;
  /** Per node: the sum of the training rows' hessians under it (the cover tree SHAP weighs by). */
  cover: Float32Array;
}

export interface RawModel {
  baseScore: number;
  numFeature: number;
  objective: string;
  trees: RawTree[];
}

class Reader {
  private offset = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get position(): number {
    return this.offset;
  }

  need(size: number, what: string): void {
    if (this.offset + size > this.bytes.length)
      throw new UnsupportedXgboostModelError(`the bytes end inside ${what}`);
  }

  int32(): number {
    this.need(4, 'a number');
    const value = this.view.getInt32(this.offset, true);
    this.offset += 4;
    return value;
  }

  uint32(): number {
    this.need(4, 'a number');
    const value = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return value;
  }

  float32(): number {
    this.need(4, 'a number');
    const value = this.view.getFloat32(this.offset, true);
    this.offset += 4;
    return value;
  }

  skip(size: number, what: string): void {
    this.need(size, what);
    this.offset += size;
  }

  string(what: string): string {
    this.need(8, what);
    const low = this.view.getUint32(this.offset, true);
    const high = this.view.getUint32(this.offset + 4, true);
    this.offset += 8;
    if (high !== 0 || low > 1024) throw new UnsupportedXgboostModelError(`${what} is too long`);
    this.need(low, what);
    const text = Buffer.from(this.bytes.subarray(this.offset, this.offset + low)).toString(
      'latin1',
    );
    this.offset += low;
    return text;
  }
}

/** Parses XGBoost 0.7's `SaveModel` bytes (LearnerModelParam, objective, gbtree, trees). */
export function readModel(bytes: Uint8Array): RawModel {
  const reader = new Reader(bytes);
  // LearnerModelParam: base_score, num_feature, num_class, contain_extra_attrs,
  // contain_eval_metrics, 29 reserved ints.
  const baseScore = reader.float32();
  const numFeature = reader.uint32();
  const numClass = reader.int32();
  reader.int32(); // contain_extra_attrs: attributes follow the trees; prediction ignores them.
  reader.int32(); // contain_eval_metrics
  reader.skip(29 * 4, 'the learner parameters');
  if (numClass !== 0) throw new UnsupportedXgboostModelError(`num_class is ${numClass}`);
  const objective = reader.string('the objective name');
  if (objective !== 'reg:linear')
    throw new UnsupportedXgboostModelError(`objective ${objective} is not reg:linear`);
  const booster = reader.string('the booster name');
  if (booster !== 'gbtree') throw new UnsupportedXgboostModelError(`booster ${booster}`);
  // GBTreeModelParam: num_trees, num_roots, num_feature, pad, int64 num_pbuffer,
  // num_output_group, size_leaf_vector, 32 reserved ints.
  const numTrees = reader.int32();
  const numRoots = reader.int32();
  reader.int32(); // num_feature (the learner's is used)
  reader.int32(); // pad
  reader.skip(8, 'the tree model parameters');
  const outputGroups = reader.int32();
  const leafVector = reader.int32();
  reader.skip(32 * 4, 'the tree model parameters');
  if (numTrees < 0 || numRoots !== 1 || outputGroups !== 1 || leafVector !== 0) {
    throw new UnsupportedXgboostModelError(
      `trees ${numTrees}, roots ${numRoots}, groups ${outputGroups}, leaf vector ${leafVector}`,
    );
  }
  const trees: RawTree[] = [];
  for (let t = 0; t < numTrees; t++) trees.push(readTree(reader, numFeature, t));
  // tree_info: the output group of each tree (all 0 here).
  for (let t = 0; t < numTrees; t++) {
    if (reader.int32() !== 0) throw new UnsupportedXgboostModelError(`tree ${t} is not in group 0`);
  }
  return { baseScore, numFeature, objective, trees };
}

function readTree(reader: Reader, numFeature: number, index: number): RawTree {
  // TreeParam: num_roots, num_nodes, num_deleted, max_depth, num_feature, size_leaf_vector,
  // 31 reserved ints.
  const roots = reader.int32();
  const nodes = reader.int32();
  reader.int32(); // num_deleted
  reader.int32(); // max_depth (not maintained by XGBoost; measured below)
  reader.int32(); // num_feature
  const leafVector = reader.int32();
  reader.skip(31 * 4, 'a tree header');
  if (roots !== 1 || nodes < 1 || leafVector !== 0)
    throw new UnsupportedXgboostModelError(`tree ${index} has ${roots} roots and ${nodes} nodes`);
  reader.need(nodes * 20 + nodes * 16, `tree ${index}`);
  const tree: RawTree = {
    left: new Int32Array(nodes),
    right: new Int32Array(nodes),
    feature: new Uint32Array(nodes),
    defaultLeft: new Uint8Array(nodes),
    value: new Float32Array(nodes),
    cover: new Float32Array(nodes),
  };
  for (let n = 0; n < nodes; n++) {
    reader.int32(); // parent
    const left = reader.int32();
    const right = reader.int32();
    const splitIndex = reader.uint32();
    const value = reader.float32();
    tree.left[n] = left;
    tree.right[n] = right;
    tree.feature[n] = splitIndex & 0x7fffffff;
    tree.defaultLeft[n] = splitIndex >>> 31;
    tree.value[n] = value;
    const isLeaf = left === -1;
    if (
      !isLeaf &&
      (left <= n || right <= n || left >= nodes || right >= nodes || tree.feature[n] >= numFeature)
    ) {
      throw new UnsupportedXgboostModelError(`tree ${index} node ${n} is malformed`);
    }
  }
  // RTreeNodeStat: loss_chg, sum_hess, base_weight, leaf_child_cnt.
  for (let n = 0; n < nodes; n++) {
    reader.float32(); // loss_chg
    tree.cover[n] = reader.float32();
    reader.skip(8, `tree ${index}'s statistics`);
  }
  return tree;
}

/** The depth of the deepest leaf (a lone leaf has depth 0). */
function depthOf(tree: RawTree, node = 0): number {
  if (tree.left[node] === -1) return 0;
  return 1 + Math.max(depthOf(tree, tree.left[node]), depthOf(tree, tree.right[node]));
}

/**
 * The trees in their complete layout: what the evaluation loops read. The arrays live in shared
 * memory, so a worker thread reads them without a copy (see prediction-threads.ts).
 */
export interface TreeArrays {
  /** Every tree padded to this depth. */
  depth: number;
  treeCount: number;
  /** Internal nodes, 2^depth - 1 per tree, level by level: feature << 16 | threshold rank. */
  nodes: Int32Array;
  /** Leaves, 2^depth per tree. */
  leaves: Float32Array;
  /** Every feature's distinct thresholds, increasing: feature f's are [cutStart[f], cutStart[f+1]). */
  cuts: Float32Array;
  cutStart: Int32Array;
}

/** Rows from which a prediction is shared with worker threads (below, messages cost more). */
export const PARALLEL_MIN_ROWS = 256;

/**
 * Adds every tree's leaf to `sums` for rows whose values are all present (`ranks`: per row and
 * feature, the value's rank). Tree by tree, four rows at a time: a tree's nodes stay in cache
 * across the rows, and the four independent walks overlap in the CPU. The leaves are added in
 * tree order, as XGBoost adds them (float32 sums depend on the order).
 */
function sumTrees(
  trees: TreeArrays,
  ranks: Int32Array,
  rows: number,
  cols: number,
  sums: Float32Array,
): void {
  const { nodes, leaves, depth } = trees;
  const perTree = (1 << depth) - 1;
  const whole = rows - (rows % 4);
  for (let t = 0; t < trees.treeCount; t++) {
    const nodeBase = t * perTree;
    const leafBase = t * (perTree + 1) - perTree;
    for (let r = 0; r < whole; r += 4) {
      const b0 = r * cols;
      const b1 = b0 + cols;
      const b2 = b1 + cols;
      const b3 = b2 + cols;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let level = 0; level < depth; level++) {
        const p0 = nodes[nodeBase + s0];
        const p1 = nodes[nodeBase + s1];
        const p2 = nodes[nodeBase + s2];
        const p3 = nodes[nodeBase + s3];
        // Right when the value's rank is above the threshold's: (threshold - value) < 0.
        s0 = 2 * s0 + 1 + (((p0 & 0xffff) - ranks[b0 + (p0 >>> 16)]) >>> 31);
        s1 = 2 * s1 + 1 + (((p1 & 0xffff) - ranks[b1 + (p1 >>> 16)]) >>> 31);
        s2 = 2 * s2 + 1 + (((p2 & 0xffff) - ranks[b2 + (p2 >>> 16)]) >>> 31);
        s3 = 2 * s3 + 1 + (((p3 & 0xffff) - ranks[b3 + (p3 >>> 16)]) >>> 31);
      }
      sums[r] += leaves[leafBase + s0];
      sums[r + 1] += leaves[leafBase + s1];
      sums[r + 2] += leaves[leafBase + s2];
      sums[r + 3] += leaves[leafBase + s3];
    }
    for (let r = whole; r < rows; r++) {
      const b = r * cols;
      let s = 0;
      for (let level = 0; level < depth; level++) {
        const p = nodes[nodeBase + s];
        s = 2 * s + 1 + (((p & 0xffff) - ranks[b + (p >>> 16)]) >>> 31);
      }
      sums[r] += leaves[leafBase + s];
    }
  }
}

/**
 * Ranks each value among its feature's thresholds (how many are at or below it), rows of `cols`
 * values; a missing value (`missing`, or NaN) ranks -1.
 */
function rankRows(
  trees: TreeArrays,
  values: Float32Array,
  cols: number,
  missing = NaN,
): Int32Array {
  const { cuts, cutStart } = trees;
  const ranks = new Int32Array(values.length);
  for (let i = 0, f = 0; i < values.length; i++, f = f + 1 === cols ? 0 : f + 1) {
    const value = values[i];
    if (value === missing || Number.isNaN(value)) {
      ranks[i] = -1;
      continue;
    }
    const first = cutStart[f];
    let low = first;
    let high = cutStart[f + 1];
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (cuts[mid] <= value) low = mid + 1;
      else high = mid;
    }
    ranks[i] = low - first;
  }
  return ranks;
}

/** Ranks and sums rows (every value present): what each thread does with its share. */
export function sumShare(
  trees: TreeArrays,
  values: Float32Array,
  rows: number,
  cols: number,
): Float32Array {
  const sums = new Float32Array(rows);
  sumTrees(trees, rankRows(trees, values, cols), rows, cols, sums);
  return sums;
}

/**
 * Ranks and sums rows whose values are all present, shared between this thread and worker
 * threads; the sums come back in row order.
 */
export type ParallelSum = (
  trees: TreeArrays,
  values: Float32Array,
  rows: number,
  cols: number,
) => Promise<Float32Array>;

/**
 * A trained XGBoost regression model, evaluated in JS. Immutable; safe to share.
 * `predict` gives, for each row, the model's raw output (XGBoost's `predict` with no transform,
 * which for `reg:linear` is the prediction itself) as float32, exactly as XGBoost computes it.
 */
export class XgboostTrees {
  readonly arrays: TreeArrays;
  /** Per internal node: where a missing value goes (1 = left). */
  private readonly defaultLeft: Uint8Array;
  readonly baseScore: number;
  readonly numFeature: number;

  private constructor(model: RawModel) {
    this.baseScore = model.baseScore;
    this.numFeature = model.numFeature;
    const distinct = Array.from({ length: model.numFeature }, () => new Set<number>());
    for (const tree of model.trees) {
      for (let n = 0; n < tree.left.length; n++) {
        if (tree.left[n] !== -1) distinct[tree.feature[n]].add(tree.value[n]);
      }
    }
    const featureCuts = distinct.map((values) =>
      Float32Array.from([...values].sort((a, b) => a - b)),
    );
    featureCuts.forEach((cuts, f) => {
      if (cuts.length >= MAX_RANK)
        throw new UnsupportedXgboostModelError(`feature ${f} has ${cuts.length} thresholds`);
    });
    if (model.numFeature > 0x7fff)
      throw new UnsupportedXgboostModelError(`${model.numFeature} features`);
    const rankOf = featureCuts.map((cuts) => new Map(Array.from(cuts, (cut, i) => [cut, i])));
    const depth = model.trees.reduce((max, tree) => Math.max(max, depthOf(tree)), 0);
    if (depth > MAX_DEPTH) throw new UnsupportedXgboostModelError(`a tree is ${depth} levels deep`);
    const treeCount = model.trees.length;
    const perTree = (1 << depth) - 1;
    const shared = (count: number) => new SharedArrayBuffer(Math.max(1, count) * 4);
    const nodes = new Int32Array(shared(treeCount * perTree), 0, treeCount * perTree);
    const leaves = new Float32Array(
      shared(treeCount * (perTree + 1)),
      0,
      treeCount * (perTree + 1),
    );
    nodes.fill(MAX_RANK);
    this.defaultLeft = new Uint8Array(treeCount * perTree).fill(1);
    const cutCount = featureCuts.reduce((sum, cuts) => sum + cuts.length, 0);
    const cuts = new Float32Array(shared(cutCount), 0, cutCount);
    const cutStart = new Int32Array(model.numFeature + 1);
    featureCuts.forEach((ofFeature, f) => {
      cuts.set(ofFeature, cutStart[f]);
      cutStart[f + 1] = cutStart[f] + ofFeature.length;
    });
    this.arrays = { depth, treeCount, nodes, leaves, cuts, cutStart };

    model.trees.forEach((tree, t) => {
      const nodeBase = t * perTree;
      const leafBase = t * (perTree + 1);
      // Node n of the original tree goes to complete-layout slot `slot` on level `level`.
      const place = (n: number, slot: number, level: number): void => {
        if (tree.left[n] === -1) {
          // A leaf above the bottom: the padding nodes under it always go left, to the first
          // leaf of its span; the whole span holds the value all the same.
          const span = 1 << (depth - level);
          const first = (slot - ((1 << level) - 1)) * span;
          leaves.fill(tree.value[n], leafBase + first, leafBase + first + span);
          return;
        }
        const feature = tree.feature[n];
        nodes[nodeBase + slot] = (feature << 16) | (rankOf[feature].get(tree.value[n]) as number);
        this.defaultLeft[nodeBase + slot] = tree.defaultLeft[n];
        place(tree.left[n], 2 * slot + 1, level + 1);
        place(tree.right[n], 2 * slot + 2, level + 1);
      };
      place(0, 0, 0);
    });
  }

  /** Reads XGBoost 0.7 model bytes (`Booster.save()`); throws UnsupportedXgboostModelError. */
  static fromModelBytes(bytes: Uint8Array): XgboostTrees {
    return new XgboostTrees(readModel(bytes));
  }

  get treeCount(): number {
    return this.arrays.treeCount;
  }

  get depth(): number {
    return this.arrays.depth;
  }

  /** Feature `f`'s distinct split thresholds, increasing. */
  thresholds(f: number): Float32Array {
    const { cuts, cutStart } = this.arrays;
    return cuts.subarray(cutStart[f], cutStart[f + 1]);
  }

  /**
   * Row-major float32 features (`cols` = the model's feature count; `missing` marks a missing
   * value, as XGBoost's DMatrix did). One raw prediction per row.
   */
  predict(values: Float32Array, rows: number, cols: number, missing: number): Float32Array {
    this.checkShape(values, rows, cols);
    const ranks = rankRows(this.arrays, values, cols, missing);
    const complete = !ranks.includes(-1);
    const sums = new Float32Array(rows);
    if (!complete) for (let r = 0; r < rows; r++) sums[r] = this.sumRowWithMissing(ranks, r * cols);
    else if (rows >= 4) sumTrees(this.arrays, ranks, rows, cols, sums);
    else for (let r = 0; r < rows; r++) sums[r] = this.sumOneRow(ranks, r * cols);
    return this.addBase(sums);
  }

  /**
   * `predict`, with the rows shared between this thread and `parallel`'s worker threads when
   * there are at least PARALLEL_MIN_ROWS of them, all values present. The same answers.
   */
  async predictAsync(
    values: Float32Array,
    rows: number,
    cols: number,
    missing: number,
    parallel: ParallelSum | undefined,
  ): Promise<Float32Array> {
    this.checkShape(values, rows, cols);
    const shared =
      parallel !== undefined &&
      rows >= PARALLEL_MIN_ROWS &&
      !values.some((value) => value === missing || Number.isNaN(value));
    if (!shared) return this.predict(values, rows, cols, missing);
    return this.addBase(await parallel(this.arrays, values, rows, cols));
  }

  private checkShape(values: Float32Array, rows: number, cols: number): void {
    if (cols !== this.numFeature)
      throw new RangeError(`The model reads ${this.numFeature} features, got ${cols}`);
    if (values.length !== rows * cols)
      throw new RangeError(`Matrix of ${rows}x${cols} holds ${values.length} values`);
  }

  private addBase(sums: Float32Array): Float32Array {
    const out = new Float32Array(sums.length);
    for (let r = 0; r < sums.length; r++) out[r] = sums[r] + this.baseScore;
    return out;
  }

  /** One row with every value present, four trees at a time (independent walks overlap). */
  private sumOneRow(ranks: Int32Array, b: number): number {
    const { nodes, leaves, depth, treeCount } = this.arrays;
    const perTree = (1 << depth) - 1;
    const whole = treeCount - (treeCount % 4);
    const sum = new Float32Array(1);
    for (let t = 0; t < whole; t += 4) {
      const n0 = t * perTree;
      const n1 = n0 + perTree;
      const n2 = n1 + perTree;
      const n3 = n2 + perTree;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let level = 0; level < depth; level++) {
        const p0 = nodes[n0 + s0];
        const p1 = nodes[n1 + s1];
        const p2 = nodes[n2 + s2];
        const p3 = nodes[n3 + s3];
        s0 = 2 * s0 + 1 + (((p0 & 0xffff) - ranks[b + (p0 >>> 16)]) >>> 31);
        s1 = 2 * s1 + 1 + (((p1 & 0xffff) - ranks[b + (p1 >>> 16)]) >>> 31);
        s2 = 2 * s2 + 1 + (((p2 & 0xffff) - ranks[b + (p2 >>> 16)]) >>> 31);
        s3 = 2 * s3 + 1 + (((p3 & 0xffff) - ranks[b + (p3 >>> 16)]) >>> 31);
      }
      sum[0] += leaves[n0 + t - perTree + s0];
      sum[0] += leaves[n1 + t + 1 - perTree + s1];
      sum[0] += leaves[n2 + t + 2 - perTree + s2];
      sum[0] += leaves[n3 + t + 3 - perTree + s3];
    }
    for (let t = whole; t < treeCount; t++) {
      const n = t * perTree;
      let s = 0;
      for (let level = 0; level < depth; level++) {
        const p = nodes[n + s];
        s = 2 * s + 1 + (((p & 0xffff) - ranks[b + (p >>> 16)]) >>> 31);
      }
      sum[0] += leaves[n + t - perTree + s];
    }
    return sum[0];
  }

  /** A row with a missing value: such a value follows each node's default direction. */
  private sumRowWithMissing(ranks: Int32Array, b: number): number {
    const { nodes, leaves, depth, treeCount } = this.arrays;
    const perTree = (1 << depth) - 1;
    const sum = new Float32Array(1);
    for (let t = 0; t < treeCount; t++) {
      const n = t * perTree;
      let s = 0;
      for (let level = 0; level < depth; level++) {
        const p = nodes[n + s];
        const rank = ranks[b + (p >>> 16)];
        const right =
          rank >= 0 || (p & 0xffff) === MAX_RANK
            ? ((p & 0xffff) - rank) >>> 31
            : 1 - this.defaultLeft[n + s];
        s = 2 * s + 1 + right;
      }
      sum[0] += leaves[n + t - perTree + s];
    }
    return sum[0];
  }
}

/**
 * Rows that exercise every split of `trees`: per feature, values drawn from its thresholds (each
 * exactly on a threshold, the edge XGBoost sends right), just below one, beyond both ends, and
 * missing now and then. Deterministic for a seed.
 */
export function probeRows(
  trees: XgboostTrees,
  rows: number,
  missing: number,
  seed = 1,
): Float32Array {
  const random = mulberry32(seed);
  const cols = trees.numFeature;
  const values = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < cols; f++) {
      const cuts = trees.thresholds(f);
      const pick = random();
      let value: number;
      if (cuts.length === 0 || pick < 0.05) value = missing;
      else {
        const cut = cuts[Math.floor(random() * cuts.length)];
        if (pick < 0.5) value = cut;
        else if (pick < 0.8) value = Math.fround(cut - Math.abs(cut) * 1e-6 - 1e-6);
        else if (pick < 0.9) value = cuts[0] - 1;
        else value = cuts[cuts.length - 1] + 1;
      }
      values[r * cols + f] = value;
    }
  }
  return values;
}
