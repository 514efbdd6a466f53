// Preloaded into the service by `npm run bench:api` when BENCH_CPU_PROFILE is set (node -r): a
// V8 CPU profile of the service's main thread under the benchmark's load only. --cpu-prof would
// cover the boot and the first training too, and writes its profile only on a normal exit, which
// a SIGTERM'd Nest app does not make. The bench's first 'cpu-profile' message (IPC; Nest's
// shutdown hooks own the signals) starts the profiler, the second writes BENCH_CPU_PROFILE.
const { Session } = require('node:inspector');
const { renameSync, writeFileSync } = require('node:fs');

const session = new Session();
session.connect();
let running = false;
process.on('message', (message) => {
  if (message !== 'cpu-profile') return;
  if (!running) {
    running = true;
    session.post('Profiler.enable', () =>
      session.post('Profiler.start', (err) => err && console.error(`profiler: ${err.message}`)),
    );
    return;
  }
  running = false;
  session.post('Profiler.stop', (err, result) => {
    if (err) console.error(`profiler: ${err.message}`);
    else {
      // Written aside, then renamed: the bench reads it as soon as the name appears.
      writeFileSync(`${process.env.BENCH_CPU_PROFILE}.part`, JSON.stringify(result.profile));
      renameSync(`${process.env.BENCH_CPU_PROFILE}.part`, process.env.BENCH_CPU_PROFILE);
    }
  });
});
