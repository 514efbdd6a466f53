/**
 * What each secondary index of audit_record costs the audit writer: `npm run bench:audit-indexes`
 * (PostgreSQL only, issue 24).
 *
 * In a throwaway schema (bench_auditix_<random>, dropped at the end): one table per index set
 * (columns of audit_record, its primary key (id, occurred_at), and the set's indexes), each filled
 * with the same BENCH_PREFILL (300,000) records of a traffic mix (prices 60 %, similar diamonds
 * 30 %, batches 5 %, others 5 %; status 200 97 %, 400 2 %, others 1 %; random request ids, as
 * clients send), then the writer's statement (the batch's spool lines as one JSON parameter,
 * json_to_recordset, ON CONFLICT DO NOTHING; AUDIT_BATCH_SIZE 500 a batch) into each table in
 * turn, BENCH_BATCHES (4) batches per table per round, BENCH_ROUNDS (25) rounds, the order
 * rotated each round: the load of the machine changes during a run, and the interleaving spreads
 * it evenly over the sets. Prints each set's records/s and its ratio to every index (`all`).
 *
 * Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), API_PEAK_RPS (9,483: the
 * fastest endpoint's peak quoted in docs/benchmarks.md) for the ratio to the API.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { insertFromJsonInto } from '../src/audit/audit.repository';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PREFILL = Number(process.env.BENCH_PREFILL ?? 300_000);
const BATCH = 500;
const BATCHES = Number(process.env.BENCH_BATCHES ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 25);
const API_PEAK_RPS = Number(process.env.API_PEAK_RPS ?? 9483);
const SCHEMA = `bench_auditix_${randomBytes(4).toString('hex')}`;

const HOT_ROUTES = `('/v1/prices', '/v1/similar-diamonds')`;
const FULL = {
  occurred_at: '(occurred_at, id)',
  route: '(route, occurred_at, id)',
  status: '(status, occurred_at, id)',
  request_id: '(request_id)',
  model: '(model_family, model_version, occurred_at, id)',
};
const PARTIAL = {
  status: `(status, occurred_at, id) WHERE status <> 200`,
  route: `(route, occurred_at, id) WHERE route NOT IN ${HOT_ROUTES}`,
};
const HASH_REQUEST_ID = 'USING hash (request_id)';
/** The index sets compared: every index as today, each one left out, and the candidates. */
const SETS: Record<string, string[]> = {
  all: Object.values(FULL),
  'no status': [FULL.occurred_at, FULL.route, FULL.request_id, FULL.model],
  'no route': [FULL.occurred_at, FULL.status, FULL.request_id, FULL.model],
  'no model': [FULL.occurred_at, FULL.route, FULL.status, FULL.request_id],
  'no request_id': [FULL.occurred_at, FULL.route, FULL.status, FULL.model],
  'hash request_id': [FULL.occurred_at, FULL.route, FULL.status, HASH_REQUEST_ID, FULL.model],
  'partial status+route': [
    FULL.occurred_at,
    PARTIAL.route,
    PARTIAL.status,
    FULL.request_id,
    FULL.model,
  ],
  'partial + hash': [FULL.occurred_at, PARTIAL.route, PARTIAL.status, HASH_REQUEST_ID, FULL.model],
  'pk + occurred_at only': [FULL.occurred_at],
};
/** Sets whose record ids are time-ordered (UUIDv7-like: the primary key grows at its right edge). */
const TIME_ORDERED_IDS = new Set(['all (time-ordered ids)']);
SETS['all (time-ordered ids)'] = SETS.all;
const ONLY = process.env.BENCH_SETS?.split(',');
if (ONLY) for (const name of Object.keys(SETS)) if (!ONLY.includes(name)) delete SETS[name];

const COLUMNS = `
  id varchar(36) NOT NULL, request_id varchar(128) NOT NULL, occurred_at timestamptz NOT NULL,
  method varchar(10) NOT NULL, route varchar(256), url varchar(2048) NOT NULL, query jsonb,
  request_body text, status integer NOT NULL, response_body text, duration_ms double precision NOT NULL,
  client_ip varchar(64), user_agent varchar(512), model_family varchar(64), model_version integer,
  error_message text, PRIMARY KEY (id, occurred_at)`;

/** The writer's own statement (src/audit), into the table given. */
const insertInto = insertFromJsonInto;

let seed = 42;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

/** A UUIDv7-like id: 48 bits of milliseconds, then random. */
function timeOrderedId(): string {
  const hex = Date.now().toString(16).padStart(12, '0') + randomBytes(10).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** One record of the traffic mix, as a spool line. */
function record(timeOrdered = false): string {
  const r = rnd();
  const route =
    r < 0.6
      ? '/v1/prices'
      : r < 0.9
        ? '/v1/similar-diamonds'
        : r < 0.95
          ? '/v1/prices/batch'
          : rnd() < 0.5
            ? '/v1/models'
            : null;
  const s = rnd();
  const status = s < 0.97 ? 200 : s < 0.99 ? 400 : route === null ? 404 : 500;
  const priced = route?.startsWith('/v1/prices') && status === 200;
  return JSON.stringify({
    id: timeOrdered ? timeOrderedId() : randomUUID(),
    requestId: randomUUID(),
    occurredAt: new Date().toISOString(),
    method: route === '/v1/similar-diamonds' || route === '/v1/models' ? 'GET' : 'POST',
    route,
    url: route ?? '/nowhere',
    query: null,
    requestBody:
      '{"carat":0.7,"cut":"Ideal","color":"G","clarity":"VS1","depth":61.5,"table":57,"x":5.7,"y":5.72,"z":3.52}',
    status,
    responseBody: '{"price":2871.4,"currency":"USD","model":{"family":"xgboost","version":3}}',
    durationMs: 1.7,
    clientIp: '127.0.0.1',
    userAgent: 'bench',
    modelFamily: priced ? 'xgboost-blend' : null,
    modelVersion: priced ? 1 + Math.floor(rnd() * 3) : null,
    errorMessage: status === 500 ? 'unexpected error' : null,
  });
}

const batchOf = (n: number, timeOrdered = false) =>
  `[${Array.from({ length: n }, () => record(timeOrdered)).join(',')}]`;

async function main(): Promise<void> {
  const client = new Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${SCHEMA}`);
    await client.query(`SET search_path = ${SCHEMA}`);
    const names = Object.keys(SETS);
    const table = (i: number) => `audit_set_${i}`;
    console.log(
      `schema ${SCHEMA}: ${names.length} tables of ${PREFILL.toLocaleString('en')} records`,
    );
    await client.query(`CREATE TABLE prefill (${COLUMNS})`);
    for (let i = 0; i < PREFILL; i += 5000)
      await client.query(insertInto('prefill'), [batchOf(Math.min(5000, PREFILL - i))]);
    for (const [i, name] of names.entries()) {
      await client.query(`CREATE TABLE ${table(i)} (${COLUMNS})`);
      await client.query(`INSERT INTO ${table(i)} SELECT * FROM prefill`);
      for (const columns of SETS[name])
        await client.query(`CREATE INDEX ON ${table(i)} ${columns}`);
      await client.query(`VACUUM ANALYZE ${table(i)}`);
    }
    const seconds = new Array<number>(names.length).fill(0);
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < names.length; k++) {
        const i = (k + round) % names.length;
        const ordered = TIME_ORDERED_IDS.has(names[i]);
        const batches = Array.from({ length: BATCHES }, () => batchOf(BATCH, ordered));
        const started = process.hrtime.bigint();
        for (const json of batches) await client.query(insertInto(table(i)), [json]);
        seconds[i] += Number(process.hrtime.bigint() - started) / 1e9;
      }
    }
    const records = ROUNDS * BATCHES * BATCH;
    const all = records / seconds[0];
    console.log(
      `\nthe writer's statement, batches of ${BATCH}, ${records.toLocaleString('en')} records per set, interleaved:`,
    );
    for (const [i, name] of names.entries()) {
      const rate = records / seconds[i];
      console.log(
        `  ${name.padEnd(22)} ${Math.round(rate).toLocaleString('en').padStart(7)} records/s  ` +
          `${(rate / all).toFixed(2)} x all  ${(rate / API_PEAK_RPS).toFixed(1)} x the API's peak (${API_PEAK_RPS} req/s)`,
      );
    }
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await client.end();
    console.log(`schema ${SCHEMA} dropped`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
