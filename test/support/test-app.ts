import { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { configureApp, createHttpAdapter } from '../../src/app.setup';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { validateResponsesOf, validatorFor } from './openapi-response-validator';

/** The engine under test: PostgreSQL when DATABASE_URL is set (as in CI's second pass), else SQLite. */
export const ENGINE = process.env.DATABASE_URL ? 'postgres' : 'sqlite';

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  /** A private working folder: data/, artifacts/ and var/ live in it. */
  workDir: string;
  close(): Promise<void>;
}

/** Settings for a quiet, isolated app: nothing seeded, trained or scheduled unless a test asks. */
export function testEnv(
  workDir: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const schema = `t_${randomBytes(5).toString('hex')}`;
  return {
    DATA_DIR: join(workDir, 'data'),
    ARTIFACTS_DIR: join(workDir, 'artifacts'),
    VAR_DIR: join(workDir, 'var'),
    SQLITE_PATH: join(workDir, 'var', 'test.sqlite'),
    DATABASE_SCHEMA: schema,
    SEED_ON_START: 'false',
    TRAIN_ON_START: 'false',
    RETRAIN_ENABLED: 'false',
    SEARCH_TRIALS: '2',
    FIRST_START_TRIALS: '2',
    SEARCH_CONCURRENCY: '1',
    // Runs in the test's own process (fast, no child to boot); the child is tested on its own.
    TRAINING_PROCESS: 'inline',
    LOG_LEVEL: 'silent',
    ...overrides,
  };
}

/**
 * Every answer of every test app is checked against the OpenAPI document the app serves (read
 * from its /docs-json): a mismatch fails the running test (test/support/response-contract.setup.ts)
 * with the path of the mismatch. (Requests made with Fastify's inject() bypass the server and
 * are not checked: tests go through supertest or a listening port.)
 */
async function validateEveryResponse(app: INestApplication): Promise<void> {
  const docs = await request(app.getHttpServer()).get('/docs-json');
  if (docs.status !== 200) throw new Error(`GET /docs-json answered ${docs.status}`);
  validateResponsesOf(app.getHttpServer(), validatorFor(docs.text));
}

export async function dropSchema(config: AppConfig): Promise<void> {
  if (!config.DATABASE_URL || config.DATABASE_SCHEMA === 'public') return;
  const client = new Client({ connectionString: config.DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${config.DATABASE_SCHEMA}" CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * Boots the real AppModule (the same setup as main.ts) on a fresh database: a new SQLite file or
 * a new PostgreSQL schema, dropped by close(). `workDir` may be passed to restart on the same state.
 */
export async function createTestApp(
  overrides: Record<string, string> = {},
  options: {
    workDir?: string;
    keepState?: boolean;
    metadata?: ModuleMetadata;
    listen?: boolean;
  } = {},
): Promise<TestApp> {
  if ((globalThis as { __UNIT_PROJECT__?: boolean }).__UNIT_PROJECT__)
    throw new Error(
      'createTestApp in a *.spec.ts: that project runs on SQLite only; name the file *.e2e-spec.ts',
    );
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), 'diamonds-test-'));
  for (const dir of ['data/incoming', 'data/processed', 'data/rejected', 'artifacts', 'var'])
    mkdirSync(join(workDir, dir), { recursive: true });
  const config = loadConfig({ ...process.env, ...testEnv(workDir, overrides) });
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot(config)],
    ...options.metadata,
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config), {
    bodyParser: false,
    logger: process.env.TEST_LOGS ? undefined : false,
  });
  await configureApp(app);
  if (options.listen) await app.listen(0, '127.0.0.1');
  else {
    await app.init();
    // supertest drives app.getHttpServer() directly: Fastify must have loaded its plugins first.
    await app.getHttpAdapter().getInstance().ready();
  }
  await validateEveryResponse(app);
  return {
    app,
    config,
    workDir,
    close: async () => {
      await app.close();
      if (!options.keepState) {
        await dropSchema(config);
        rmSync(workDir, { recursive: true, force: true });
      }
    },
  };
}
