import { plainToInstance, Transform } from 'class-transformer';
import { BYTE_SIZE } from '../common/byte-size';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  validateSync,
  ValidationError,
} from 'class-validator';
import { DEFAULT_PRICE_RANGE } from '../diamonds/diamond-vocabulary';

const toNumber = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : Number(value);
const toBool = ({ value }: { value: unknown }) => {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  const v = String(value).toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value; // left as a string so validation names it
};

/**
 * Every setting the service reads from the environment, with its default.
 * Validated once at boot; a bad value stops the start with one message listing every bad key.
 * The README's configuration table documents each one.
 */
export class AppConfig {
  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  /** postgres://user:pass@host:5432/db selects PostgreSQL; unset means embedded SQLite. */
  @IsOptional()
  @IsString()
  @Matches(/^postgres(ql)?:\/\/.+/, {
    message: 'DATABASE_URL must start with postgres:// or postgresql://',
  })
  DATABASE_URL?: string;

  /** PostgreSQL schema to use (tests use a throwaway one per run). */
  @IsString()
  @Matches(/^[a-z_][a-z0-9_]*$/, { message: 'DATABASE_SCHEMA must be a lowercase SQL identifier' })
  DATABASE_SCHEMA = 'public';

  /** SQLite file used when DATABASE_URL is unset (':memory:' for an in-memory database). */
  @IsString()
  SQLITE_PATH = 'var/diamonds.sqlite';

  @Transform(toBool)
  @IsBoolean()
  DB_MIGRATIONS_RUN = true;

  @IsString()
  DATA_DIR = 'data';

  @IsString()
  ARTIFACTS_DIR = 'artifacts';

  /**
   * This process's own local state: the audit spool, upload temp files and `instance.lock` (one
   * live process per folder). The SQLite file is SQLITE_PATH, which does not follow VAR_DIR.
   */
  @IsString()
  VAR_DIR = 'var';

  /** Bearer token for the admin endpoints; unset disables them (503). Trimmed, as the sent token is. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsOptional()
  @IsString()
  @Matches(/^.{16,}$/, { message: 'ADMIN_TOKEN must be at least 16 characters' })
  ADMIN_TOKEN?: string;

  /**
   * Bearer token of the store's staff: records outcomes (POST /v1/outcomes) and reads their
   * summary, nothing else. At least 16 characters; unset, only ADMIN_TOKEN does that. Trimmed.
   */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsOptional()
  @IsString()
  @Matches(/^.{16,}$/, { message: 'STAFF_TOKEN must be at least 16 characters' })
  STAFF_TOKEN?: string;

  /** Ingest the bundled data/diamonds.csv when the store is empty. */
  @Transform(toBool)
  @IsBoolean()
  SEED_ON_START = true;

  /** Schedule the nightly job (RETRAIN_CRON): ingest data/incoming, then retrain when the data changed. */
  @Transform(toBool)
  @IsBoolean()
  RETRAIN_ENABLED = true;

  /** Cron expression of the nightly ingest-and-retrain job (server time zone). */
  @IsString()
  @Matches(/^(\S+\s+){4,5}\S+$/, {
    message: 'RETRAIN_CRON must be a 5- or 6-field cron expression',
  })
  RETRAIN_CRON = '0 2 * * *';

  /** Retrain nightly even when no new data arrived. */
  @Transform(toBool)
  @IsBoolean()
  RETRAIN_ALWAYS = false;

  /** Trials of the hyperparameter search for nightly/admin/CLI runs. */
  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(10000)
  SEARCH_TRIALS = 100;

  /** Trials of the search for the first-start training on an empty registry. */
  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(10000)
  FIRST_START_TRIALS = 10;

  /** Worker threads used by the search (0 = number of cores). */
  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(64)
  SEARCH_CONCURRENCY = 0;

  @Transform(toNumber)
  @IsInt()
  SEARCH_SEED = 42;

  /**
   * Worker threads that share the trees of a large batch of prices with the request's thread
   * (unset = one per core beyond the first, at most 3; 0 = none).
   */
  @Transform(toNumber)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(8)
  PREDICTION_THREADS?: number;

  /**
   * What this instance does: `serve` (prices; never trains: no first-start or nightly run, the
   * admin trigger answers 409 naming where training runs), `train` (the trainer: first-start,
   * nightly and admin runs; keep it out of the load balancer's pool), `both` (the embedded
   * single-process default).
   */
  @IsIn(['serve', 'train', 'both'])
  INSTANCE_ROLE: 'serve' | 'train' | 'both' = 'both';

  /**
   * Where the server runs a training run (first start, nightly, admin): `child`, a process of its
   * own (the trainer entry point, `src/cli/train-run.cli.ts`) at TRAINING_SCHEDULING, so the
   * search's threads yield the CPU to serving; `inline`, in the server's own process (the tests' default).
   * An in-memory SQLite database cannot be shared with a child: runs are then inline.
   */
  @IsIn(['child', 'inline'])
  TRAINING_PROCESS: 'child' | 'inline' = 'child';

  /** Nice level of the training child process and every thread it starts (0 = as the server; 19 = lowest priority). */
  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(19)
  TRAINING_NICE = 10;

  /**
   * How the training child yields the CPU to serving: `idle`, started through
   * `chrt --idle 0` (Linux SCHED_IDLE, every thread it starts inherits it: it runs only on CPU
   * time nothing else wants); `nice`, at TRAINING_NICE. When chrt cannot set SCHED_IDLE here (no
   * binary at TRAINING_CHRT_PATH, not permitted) `idle` falls back to `nice` with one warning.
   */
  @IsIn(['idle', 'nice'])
  TRAINING_SCHEDULING: 'idle' | 'nice' = 'idle';

  /** The chrt binary TRAINING_SCHEDULING=idle starts the training child through (util-linux). */
  @IsString()
  TRAINING_CHRT_PATH = '/usr/bin/chrt';

  /** Train on first start when the registry has no champion. */
  @Transform(toBool)
  @IsBoolean()
  TRAIN_ON_START = true;

  /** A candidate is promoted when its holdout MAE <= champion's MAE * (1 + tolerance). */
  @Transform(toNumber)
  @IsNumber()
  @Min(0)
  @Max(1)
  PROMOTION_TOLERANCE = 0;

  /** A batch whose largest per-feature PSI against the champion's training data exceeds this is flagged as drifted. */
  @Transform(toNumber)
  @IsNumber()
  @Min(0)
  @Max(10)
  DRIFT_PSI_THRESHOLD = 0.25;

  /** How often (ms) an instance checks the database for moved champion aliases. */
  @Transform(toNumber)
  @IsInt()
  @Min(100)
  CHAMPION_POLL_MS = 2000;

  /** Days of audit records kept; 0 keeps them forever. */
  @Transform(toNumber)
  @IsInt()
  @Min(0)
  AUDIT_RETENTION_DAYS = 0;

  /** PostgreSQL: the span of one audit_record partition (retention drops whole partitions). */
  @IsIn(['day', 'week', 'month'])
  AUDIT_PARTITION_INTERVAL: 'day' | 'week' | 'month' = 'day';

  /** PostgreSQL: partitions made ahead of the current one, at start and by the nightly job. */
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(400)
  AUDIT_PARTITIONS_AHEAD = 7;

  /** Record every API request and response in the audit table. */
  @Transform(toBool)
  @IsBoolean()
  AUDIT_ENABLED = true;

  /** Audit records written per INSERT (at most 2000: 16 parameters each stay under SQLite's and PostgreSQL's limits). */
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(2000)
  AUDIT_BATCH_SIZE = 500;

  /** How often (ms) queued audit records are written to the database. */
  @Transform(toNumber)
  @IsInt()
  @Min(10)
  AUDIT_FLUSH_INTERVAL_MS = 250;

  /** Audit records kept in memory while waiting for the database; beyond it they wait in the spool only. */
  @Transform(toNumber)
  @IsInt()
  @Min(65536)
  AUDIT_QUEUE_MAX_BYTES = 16 * 1024 * 1024;

  /** Largest request or response body stored in an audit record (longer ones are truncated). */
  @Transform(toNumber)
  @IsInt()
  @Min(256)
  AUDIT_BODY_MAX_BYTES = 65536;

  /** fdatasync the audit spool after every record (survives power loss, costs latency); off, a write survives a process crash. */
  @Transform(toBool)
  @IsBoolean()
  AUDIT_SPOOL_FSYNC = false;

  /** How long (ms) a graceful shutdown waits for the database to take the queued audit records. */
  @Transform(toNumber)
  @IsInt()
  @Min(0)
  AUDIT_SHUTDOWN_FLUSH_MS = 10000;

  /**
   * On SIGTERM/SIGINT: how long (ms) at most the server drains before it stops. Its listener
   * closes at once; requests still arriving on open connections are answered with
   * `Connection: close`; it stops when no connection is left, or after this. Keep it longer
   * than the load balancer's upstream keep-alive timeout (deploy/nginx.conf: 10 s).
   */
  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(600000)
  SHUTDOWN_DRAIN_MS = 15000;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  UPLOAD_MAX_BYTES = 50 * 1024 * 1024;

  @IsString()
  @Matches(BYTE_SIZE, { message: 'BODY_LIMIT must be a size like 1mb, 512kb or 4096' })
  BODY_LIMIT = '1mb';

  /** Requests per client per THROTTLE_TTL_MS on public endpoints; 0 disables throttling. */
  @Transform(toNumber)
  @IsInt()
  @Min(0)
  THROTTLE_LIMIT = 0;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  THROTTLE_TTL_MS = 60000;

  /** Plausible price range (USD) of a training row: a CSV row priced outside it is rejected. */
  @Transform(toNumber)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  PRICE_MIN = DEFAULT_PRICE_RANGE.min;

  @Transform(toNumber)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(1)
  @Max(1e9)
  PRICE_MAX = DEFAULT_PRICE_RANGE.max;

  /** Comma-separated allowed origins, '*' for any; empty disables CORS. */
  @IsString()
  CORS_ORIGINS = '';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';
}

export class ConfigValidationError extends Error {}

/** Settings whose values never appear in a message (they hold a secret or a password). */
const SECRET_KEYS = new Set(['ADMIN_TOKEN', 'STAFF_TOKEN', 'DATABASE_URL']);

/** The rule a value of the wrong kind broke; the range rules would only repeat it ("abc" is below nothing). */
const KIND_RULES = ['isInt', 'isNumber', 'isBoolean', 'isString', 'isIn'];

/** A key as the environment gave it: `PORT="abc"`, a secret's value never shown. */
function given(key: string, raw: Record<string, unknown>): string {
  if (!(key in raw)) return `${key} (default)`;
  return `${key}=${SECRET_KEYS.has(key) ? '[redacted]' : JSON.stringify(raw[key])}`;
}

function brokenRules(error: ValidationError): string {
  const constraints = error.constraints ?? {};
  const kind = KIND_RULES.find((rule) => rule in constraints);
  return kind ? constraints[kind] : Object.values(constraints).join('; ');
}

/**
 * Reads and validates the environment; throws one error naming every bad key with the value
 * given and the rule it breaks, on one line (the command line prints it as it is).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const known = Object.keys(new AppConfig());
  const raw: Record<string, unknown> = {};
  for (const key of [...known, 'DATABASE_URL', 'ADMIN_TOKEN', 'STAFF_TOKEN']) {
    if (env[key] !== undefined && env[key] !== '') raw[key] = env[key];
  }
  const config = plainToInstance(AppConfig, raw, { exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: false });
  const problems = errors.map((e) => `${given(e.property, raw)}: ${brokenRules(e)}`);
  const bad = new Set(errors.map((e) => e.property));
  if (!bad.has('PRICE_MIN') && !bad.has('PRICE_MAX') && config.PRICE_MIN >= config.PRICE_MAX)
    problems.push(
      `${given('PRICE_MIN', raw)}, ${given('PRICE_MAX', raw)}: PRICE_MIN must be below PRICE_MAX`,
    );
  if (problems.length > 0) {
    throw new ConfigValidationError(
      `Invalid configuration (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}): ${problems.join('; ')}`,
    );
  }
  return config;
}
