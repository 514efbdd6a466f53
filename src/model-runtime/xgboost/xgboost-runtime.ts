/**
 * The one door to the XGBoost WebAssembly module (ml-xgboost 1.1.2: an XGBoost build of the 0.7
 * era, objective 'reg:linear', no categorical support, -1 as its missing value).
 *
 * ml-xgboost's JS class copies every matrix through the emscripten stack, predicts with fresh
 * allocations per row and has no incremental boosting; this talks to the same exported C
 * functions directly: boosting continues across `boost()` calls, buffers are malloc'ed once.
 * The module prints XGBoost's console lines and a streaming-compile warning; they are captured
 * here (the last lines are attached to errors) instead of reaching the service's output.
 */

/** The value XGBoost treats as missing: ml-xgboost builds every DMatrix with missing = -1. */
export const XGBOOST_MISSING = -1;

interface EmscriptenXgboost {
  isReady: Promise<unknown>;
  print: (text: string) => void;
  printErr: (text: string) => void;
  HEAPU8: Uint8Array;
  HEAPF32: Float32Array;
  cwrap(
    name: string,
    returnType: string | null,
    argTypes: string[],
  ): (...args: unknown[]) => unknown;
  _malloc(size: number): number;
  _free(pointer: number): void;
  _create_model(data: number, labels: number, rows: number, cols: number): number;
  _train_full_model(model: number, iterations: number): void;
  _predict_one(model: number, row: number, cols: number, out: number): number;
  _save_model(model: number): number;
  _get_file_content(out: number, size: number): void;
  _load_model(data: number, size: number): number;
  _free_memory_model(model: number): void;
}

/** Row-major float32 features; XGBOOST_MISSING marks a missing value. */
export interface DenseMatrix {
  values: Float32Array;
  rows: number;
  cols: number;
}

export type BoosterParams = Record<string, string | number>;

const LOG_LINES_KEPT = 20;

export class XgboostRuntime {
  private readonly setParam: (model: number, key: string, value: string) => void;
  private readonly recentOutput: string[] = [];
  private linesPrinted = 0;
  private aborted = false;

  constructor(private readonly wasm: EmscriptenXgboost) {
    const capture = (text: string) => {
      this.linesPrinted++;
      this.recentOutput.push(String(text));
      if (this.recentOutput.length > LOG_LINES_KEPT) this.recentOutput.shift();
    };
    wasm.print = capture;
    wasm.printErr = capture;
    this.setParam = wasm.cwrap('set_param', null, ['number', 'string', 'string']) as (
      model: number,
      key: string,
      value: string,
    ) => void;
  }

  /** False after XGBoost aborted: the instance's memory can no longer be trusted. */
  get healthy(): boolean {
    return !this.aborted;
  }

  /** A booster on `data`, configured with `params`, with no trees yet. */
  createBooster(data: DenseMatrix, labels: Float32Array, params: BoosterParams): Booster {
    checkMatrix(data);
    if (labels.length !== data.rows)
      throw new RangeError(`${data.rows} rows but ${labels.length} labels`);
    if (!labels.every(Number.isFinite)) throw new RangeError('Labels must be finite numbers');
    const handle = this.call(() => {
      const dataPointer = this.copyIn(
        new Uint8Array(data.values.buffer, data.values.byteOffset, data.values.byteLength),
      );
      const labelPointer = this.copyIn(
        new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength),
      );
      try {
        return this.wasm._create_model(dataPointer, labelPointer, data.rows, data.cols);
      } finally {
        this.wasm._free(dataPointer);
        this.wasm._free(labelPointer);
      }
    });
    const booster = new Booster(this, handle, data.cols);
    try {
      for (const [key, value] of Object.entries(params)) {
        this.call(() => this.setParam(handle, key, String(value)));
      }
    } catch (error) {
      booster.free();
      throw error;
    }
    return booster;
  }

  /** A booster from bytes written by `Booster.save()`. */
  loadBooster(bytes: Uint8Array, cols: number): Booster {
    const handle = this.call(() => {
      const pointer = this.copyIn(bytes);
      try {
        return this.wasm._load_model(pointer, bytes.length);
      } finally {
        this.wasm._free(pointer);
      }
    });
    if (handle === 0) throw new Error('XGBoost could not load the model bytes');
    return new Booster(this, handle, cols);
  }

  /** @internal */
  boost(handle: number, rounds: number): void {
    this.call(() => this.wasm._train_full_model(handle, rounds));
  }

  /** @internal One prediction per row (XGBoost's float32 output). */
  predict(handle: number, data: DenseMatrix): Float32Array {
    checkMatrix(data);
    const out = new Float32Array(data.rows);
    if (data.rows === 0) return out;
    this.call(() => {
      const rowPointer = this.wasm._malloc(data.cols * 4);
      const outPointer = this.wasm._malloc(4);
      try {
        for (let i = 0; i < data.rows; i++) {
          // Re-read the heap view each time: a growing wasm memory replaces it.
          this.wasm.HEAPF32.set(
            data.values.subarray(i * data.cols, (i + 1) * data.cols),
            rowPointer >> 2,
          );
          this.wasm._predict_one(handle, rowPointer, data.cols, outPointer);
          out[i] = this.wasm.HEAPF32[outPointer >> 2];
        }
      } finally {
        this.wasm._free(rowPointer);
        this.wasm._free(outPointer);
      }
    });
    return out;
  }

  /** @internal */
  save(handle: number): Uint8Array {
    return this.call(() => {
      const size = this.wasm._save_model(handle);
      if (!(size > 0)) throw new Error('XGBoost could not save the model');
      const pointer = this.wasm._malloc(size);
      try {
        this.wasm._get_file_content(pointer, size);
        return this.wasm.HEAPU8.slice(pointer, pointer + size);
      } finally {
        this.wasm._free(pointer);
      }
    });
  }

  /** @internal */
  free(handle: number): void {
    this.call(() => this.wasm._free_memory_model(handle));
  }

  private copyIn(bytes: Uint8Array): number {
    const pointer = this.wasm._malloc(Math.max(1, bytes.length));
    if (pointer === 0) throw new Error('XGBoost ran out of memory');
    this.wasm.HEAPU8.set(bytes, pointer);
    return pointer;
  }

  private call<T>(action: () => T): T {
    if (this.aborted)
      throw new Error('The XGBoost WebAssembly instance aborted earlier and is unusable');
    const before = this.linesPrinted;
    try {
      return action();
    } catch (error) {
      // Emscripten aborts throw strings; XGBoost's own message went to the captured output.
      if (!(error instanceof Error)) this.aborted = true;
      const fresh = Math.min(this.linesPrinted - before, this.recentOutput.length);
      const said = this.recentOutput.slice(this.recentOutput.length - fresh).join('\n');
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`XGBoost failed: ${reason}${said ? `\n${said}` : ''}`);
    }
  }
}

function checkMatrix(data: DenseMatrix): void {
  if (data.values.length !== data.rows * data.cols) {
    throw new RangeError(`Matrix of ${data.rows}x${data.cols} holds ${data.values.length} values`);
  }
  // NaN aborts the WebAssembly instance (it was built with missing = -1, not NaN).
  for (let i = 0; i < data.values.length; i++) {
    if (!Number.isFinite(data.values[i]))
      throw new RangeError('Features must be finite; use XGBOOST_MISSING');
  }
}

/** An XGBoost booster living in the runtime's WebAssembly memory. `free()` it when done. */
export class Booster {
  private handle: number;

  constructor(
    private readonly runtime: XgboostRuntime,
    handle: number,
    readonly cols: number,
  ) {
    this.handle = handle;
  }

  get freed(): boolean {
    return this.handle === 0;
  }

  /** Adds `rounds` trees, continuing from the trees already there. */
  boost(rounds: number): void {
    if (rounds > 0) this.runtime.boost(this.live(), rounds);
  }

  predict(data: DenseMatrix): Float32Array {
    if (data.cols !== this.cols)
      throw new RangeError(`Booster expects ${this.cols} columns, got ${data.cols}`);
    return this.runtime.predict(this.live(), data);
  }

  /** XGBoost's binary model format. */
  save(): Uint8Array {
    return this.runtime.save(this.live());
  }

  /** Idempotent. */
  free(): void {
    if (this.handle === 0) return;
    const handle = this.handle;
    this.handle = 0;
    this.runtime.free(handle);
  }

  private live(): number {
    if (this.handle === 0) throw new Error('The booster was freed');
    return this.handle;
  }
}

let loading: Promise<XgboostRuntime> | undefined;

/** The thread's XGBoost runtime, loaded on first use (once per process or worker thread). */
export function loadXgboostRuntime(): Promise<XgboostRuntime> {
  loading ??= (async () => {
    const listenersBefore = process.listeners('uncaughtException');
    const wasm = require('ml-xgboost/dist/wasm/xgboost') as EmscriptenXgboost;
    // Installed before the asynchronous compile reports anything.
    const runtime = new XgboostRuntime(wasm);
    // The emscripten glue adds a process-wide handler that rethrows; the service owns that policy.
    for (const listener of process.listeners('uncaughtException')) {
      if (!listenersBefore.includes(listener))
        process.removeListener('uncaughtException', listener);
    }
    await wasm.isReady;
    return runtime;
  })();
  return loading;
}
