// The page's side of the viewer's Web Worker (worker.js): requests as promises, progress reports,
// cancellation. Cancelling terminates the worker — whatever it was doing stops at once — and
// starts a fresh one, whose session is empty.

/** The error a request rejects with when it was cancelled. */
export class Cancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'Cancelled';
  }
}

export class Engine {
  /** `onProgress({step, file, done, total})` is called with the worker's progress reports. */
  constructor(onProgress) {
    this.onProgress = onProgress;
    this.nextId = 1;
    this.pending = new Map();
    /** wasm memory in the worker, in bytes, as of the last answer (it only grows). */
    this.memoryBytes = 0;
    this.spawn();
  }

  spawn() {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    this.worker.onmessage = ({ data }) => this.onMessage(data);
    this.worker.onerror = (event) => {
      event.preventDefault();
      this.failAll(new Error(`the viewer's worker failed: ${event.message || 'it could not start'}`));
    };
    this.started = this.call('start');
  }

  onMessage(data) {
    if (data.type === 'progress') {
      this.onProgress(data);
      return;
    }
    const request = this.pending.get(data.id);
    if (!request) return;
    this.pending.delete(data.id);
    this.memoryBytes = data.memoryBytes;
    if (data.ok) request.resolve(data.result);
    else request.reject(new Error(data.error));
  }

  /** Runs `op(...args)` in the worker; resolves with its result or rejects with its message. */
  call(op, ...args) {
    const id = this.nextId;
    this.nextId += 1;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args });
    });
  }

  failAll(error) {
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }

  /** Stops the worker and starts a fresh one; every pending request rejects with `Cancelled`. */
  cancel() {
    this.worker.terminate();
    this.failAll(new Cancelled());
    this.memoryBytes = 0;
    this.spawn();
    return this.started;
  }
}
