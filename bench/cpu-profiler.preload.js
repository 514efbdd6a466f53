// Preloaded into the service by `npm run bench:api` when BENCH_CPU_PROFILE is set (node -r): a
// V8 CPU profile of the service's main thread under the benchmark's load only. --cpu-prof would
// cover the boot and the first training too, and writes its profile only on a normal exit, which
// a SIGTERM'd Nest app does not make. The first SIGUSR2 starts the profiler, the second writes
// the profile to BENCH_CPU_PROFILE.
const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');

const session = new Session();
session.connect();
let running = false;
process.on('SIGUSR2', () => {
  if (!running) {
    running = true;
    session.post('Profiler.enable', () => session.post('Profiler.start'));
    return;
  }
  running = false;
  session.post('Profiler.stop', (err, result) => {
    if (!err) writeFileSync(process.env.BENCH_CPU_PROFILE, JSON.stringify(result.profile));
  });
});
