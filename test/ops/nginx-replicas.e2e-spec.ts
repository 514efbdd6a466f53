import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ENGINE } from '../support/test-app';
import { ADMIN_TOKEN, BATCH, SAMPLE_DIAMOND } from '../support/training-helpers';
import {
  call,
  ensureBuilt,
  freePort,
  Nginx,
  nginxBinary,
  Replica,
  sleep,
  startNginx,
  startReplica,
  stopReplica,
  waitReady,
} from '../support/replicas';

/**
 * Two replicas (built, `node dist/main.js`, one PostgreSQL schema, each its own ARTIFACTS_DIR and
 * VAR_DIR) behind nginx run with deploy/nginx.conf, under mixed load (prices, batches, similar
 * diamonds) while A is stopped gracefully (SIGTERM) and started again, then B: no request fails
 * at the client, and every answered request is in the audit exactly once, under the id the
 * client sent or nginx gave it. NGINX_TEST_PHASE_MS (default 3000) is the load before, between
 * and after the restarts (the long version: 20000).
 */
const nginx = nginxBinary();
const nginxPath = 'path' in nginx ? nginx.path : '';
const runIt = ENGINE === 'postgres' && nginxPath !== '';
if (ENGINE !== 'postgres')
  console.log('SKIPPED: nginx replicas test: replicas share a database only on PostgreSQL');
else if ('missing' in nginx) {
  if (process.env.CI === 'true') throw new Error(`nginx replicas test: ${nginx.missing}`);
  console.log(`SKIPPED: nginx replicas test: ${nginx.missing}`);
}
const describeRun = runIt ? describe : describe.skip;

const PHASE_MS = Number(process.env.NGINX_TEST_PHASE_MS ?? 3000);
const CONCURRENCY = 8;

interface Answer {
  status: number;
  requestId: string;
  sentId: string | null;
}

describeRun(
  'Two replicas behind nginx, restarted one after the other under load (postgres)',
  () => {
    const workDir = mkdtempSync(join(tmpdir(), 'nginx-replicas-'));
    const schema = `t_${randomBytes(5).toString('hex')}`;
    const replicas: Replica[] = [];
    const ports: [number, number] = [0, 0];
    let lb: Nginx | undefined;

    const env = (name: string): NodeJS.ProcessEnv => ({
      DATABASE_SCHEMA: schema,
      DATA_DIR: join(workDir, `data-${name}`),
      ARTIFACTS_DIR: join(workDir, `artifacts-${name}`),
      VAR_DIR: join(workDir, `var-${name}`),
      ADMIN_TOKEN,
      SEED_ON_START: 'false',
      TRAIN_ON_START: 'false',
      RETRAIN_ENABLED: 'false',
      SEARCH_CONCURRENCY: '1',
      PREDICTION_THREADS: '0',
      CHAMPION_POLL_MS: '200',
      AUDIT_FLUSH_INTERVAL_MS: '50',
      LOG_LEVEL: 'warn',
    });
    const start = (i: 0 | 1) => {
      const name = 'ab'[i];
      const replica = startReplica(name, ports[i], env(name));
      replicas[i] = replica;
      return replica;
    };
    const admin = (port: number, path: string, init: RequestInit = {}) =>
      fetch(`http://127.0.0.1:${port}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(init.headers ?? {}) },
      });

    beforeAll(async () => {
      ensureBuilt();
      ports[0] = await freePort();
      ports[1] = await freePort();
      for (const name of ['a', 'b'])
        for (const d of ['incoming', 'processed', 'rejected'])
          mkdirSync(join(workDir, `data-${name}`, d), { recursive: true });
      const a = start(0);
      await waitReady(a, '/health/live');
      const b = start(1);
      // Data and a model, through A; B sees them through the database only.
      const upload = await admin(a.port, '/v1/admin/datasets?filename=batch-001.csv', {
        method: 'POST',
        headers: { 'content-type': 'text/csv' },
        body: readFileSync(BATCH(1)),
      });
      expect(upload.status).toBeLessThan(300);
      const run = await admin(a.port, '/v1/admin/training-runs', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ families: ['linear'] }),
      });
      expect(run.status).toBe(202);
      await Promise.all([waitReady(a), waitReady(b)]);
      lb = await startNginx(nginxPath, join(workDir, 'nginx'), await freePort(), ports);
    }, 300_000);

    afterAll(async () => {
      if (lb && lb.child.exitCode === null) {
        lb.child.kill('SIGQUIT');
        await new Promise((r) => lb!.child.once('exit', r));
      }
      await Promise.all(replicas.map((r) => stopReplica(r).catch(() => undefined)));
      const client = new Client({ connectionString: process.env.DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
      rmSync(workDir, { recursive: true, force: true });
    }, 60_000);

    it('loses no request and audits each answered one exactly once', async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
      const answers: Answer[] = [];
      const failures: string[] = [];
      let sent = 0;
      let loading = true;

      const one = (n: number): Promise<void> => {
        const sentId = n % 2 === 0 ? `nginx-test-${n}` : null;
        const carat = 0.3 + (n % 50) / 25;
        const kind = n % 3;
        const [method, path, body] =
          kind === 0
            ? ['POST', '/v1/prices', JSON.stringify({ ...SAMPLE_DIAMOND, carat })]
            : kind === 1
              ? [
                  'POST',
                  '/v1/prices/batch',
                  JSON.stringify({
                    items: [1, 2, 3, 4, 5].map((k) => ({
                      ...SAMPLE_DIAMOND,
                      carat: carat + k / 10,
                    })),
                  }),
                ]
              : [
                  'GET',
                  `/v1/similar-diamonds?cut=Ideal&color=G&clarity=VS1&carat=${carat}&n=3`,
                  null,
                ];
        return new Promise((resolve) => {
          const req = httpRequest(
            {
              host: '127.0.0.1',
              port: lb!.port,
              method,
              path,
              agent,
              headers: {
                ...(body ? { 'content-type': 'application/json' } : {}),
                ...(sentId ? { 'x-request-id': sentId } : {}),
              },
            },
            (res) => {
              let text = '';
              res.on('data', (d: Buffer) => (text += d.toString()));
              res.on('end', () => {
                const requestId = String(res.headers['x-request-id'] ?? '');
                if (res.statusCode !== 200)
                  failures.push(`${method} ${path}: ${res.statusCode} ${text.slice(0, 200)}`);
                else answers.push({ status: res.statusCode, requestId, sentId });
                resolve();
              });
            },
          );
          req.on('error', (err) => {
            failures.push(`${method} ${path}: ${err.message}`);
            resolve();
          });
          req.end(body ?? undefined);
        });
      };
      // Paced (about CONCURRENCY x 12 requests/s): the machine is shared, the restarts are the test.
      const worker = async () => {
        while (loading) await Promise.all([one(sent++), sleep(80)]);
      };
      const t0 = Date.now();
      const timeline: string[] = [];
      const mark = (what: string) => timeline.push(`${what} +${Date.now() - t0} ms`);

      /** Count of the replica's answered prices (its /metrics, direct): nginx sends it traffic. */
      const pricesServed = async (r: Replica) => {
        const { text } = await call(r.port, '/metrics');
        const m = text.match(
          /diamonds_http_requests_total\{method="POST",route="\/v1\/prices",status="200"\} (\d+)/,
        );
        return m ? Number(m[1]) : 0;
      };
      const roll = async (i: 0 | 1) => {
        mark(`SIGTERM ${replicas[i].name}`);
        const exit = await stopReplica(replicas[i], 'SIGTERM');
        mark(`${replicas[i].name} exited`);
        const drained = /Drained in .*/.exec(replicas[i].output());
        if (drained) mark(drained[0]);
        expect({ replica: replicas[i].name, exit }).toEqual({ replica: replicas[i].name, exit: 0 });
        const again = start(i);
        await waitReady(again);
        mark(`${again.name} ready`);
        // nginx skips a replica that refused connections for fail_timeout: wait until it is back.
        const deadline = Date.now() + 30_000;
        while ((await pricesServed(again)) === 0 && Date.now() < deadline) await sleep(200);
        expect(await pricesServed(again)).toBeGreaterThan(0);
        mark(`${again.name} served through nginx`);
      };

      const load = Promise.all(Array.from({ length: CONCURRENCY }, worker));
      await sleep(PHASE_MS);
      await roll(0);
      await sleep(PHASE_MS);
      await roll(1);
      await sleep(PHASE_MS);
      loading = false;
      await load;
      agent.destroy();

      expect(failures).toEqual([]);
      expect(answers.length).toBeGreaterThan(50);
      // The id is the client's, or nginx's $request_id (32 hex digits) when it sent none.
      for (const a of answers)
        expect(a.requestId).toMatch(a.sentId ? new RegExp(`^${a.sentId}$`) : /^[0-9a-f]{32}$/);

      const ids = answers.map((a) => a.requestId);
      const client = new Client({ connectionString: process.env.DATABASE_URL });
      await client.connect();
      try {
        let counts = new Map<string, number>();
        const deadline = Date.now() + 20_000;
        do {
          const { rows } = await client.query<{ request_id: string; n: string }>(
            `SELECT request_id, count(*) AS n FROM "${schema}".audit_record
            WHERE request_id = ANY($1) GROUP BY request_id`,
            [ids],
          );
          counts = new Map(rows.map((r) => [r.request_id, Number(r.n)]));
          if (counts.size === ids.length) break;
          await sleep(250);
        } while (Date.now() < deadline);
        const notOnce = ids.filter((id) => counts.get(id) !== 1);
        expect({ answered: ids.length, notAuditedOnce: notOnce.slice(0, 10) }).toEqual({
          answered: ids.length,
          notAuditedOnce: [],
        });
      } finally {
        await client.end();
      }
      console.log(
        `nginx replicas: ${answers.length} requests answered, ${failures.length} failed; ${timeline.join(', ')}`,
      );
    }, 180_000);
  },
);
