import { Logger } from '@nestjs/common';
import { readdirSync, readFileSync } from 'node:fs';
import request from 'supertest';
import { NightlyScheduler } from '../../src/nightly/nightly.scheduler';
import { TrainingProcess } from '../../src/training/training-process';
import { TrainingScheduler } from '../../src/training/training.scheduler';
import { TrainingService } from '../../src/training/training.service';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';
import { ADMIN_TOKEN, ingestBatch, SAMPLE_DIAMOND } from '../support/training-helpers';

const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The nice value of each thread of a process, from /proc/<pid>/task/<tid>/stat (field 19). */
function threadNiceness(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) start with field 3, the state.
      out.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    }
  } catch {
    // the process or a thread ended while read
  }
  return out;
}

/** The scheduling policy of each thread of a process (/proc/<pid>/task/<tid>/sched: 0 normal, 5 SCHED_IDLE). */
function threadPolicies(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const sched = readFileSync(`/proc/${pid}/task/${tid}/sched`, 'utf8');
      const policy = /^policy\s+:\s+(\d+)$/m.exec(sched);
      if (policy) out.set(Number(tid), Number(policy[1]));
    }
  } catch {
    // the process or a thread ended while read
  }
  return out;
}

/** Every thread of a training child seen while it lives, and what `read` said of each. */
async function watchThreads(
  pid: number,
  alive: () => boolean,
  read: (pid: number) => Map<number, number>,
): Promise<Map<number, number>> {
  const seen = new Map<number, number>();
  while (alive()) {
    for (const [tid, value] of read(pid)) seen.set(tid, value);
    await new Promise((r) => setTimeout(r, 25));
  }
  return seen;
}

describe(`training roles and the training process (${ENGINE})`, () => {
  describe('INSTANCE_ROLE=serve', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({
        INSTANCE_ROLE: 'serve',
        ADMIN_TOKEN,
        TRAIN_ON_START: 'true',
        RETRAIN_ENABLED: 'true',
      });
      await ingestBatch(t, 1);
    }, 60_000);
    afterAll(() => t?.close());

    it('refuses the admin trigger with a 409 that says where training runs', async () => {
      const res = await request(t.app.getHttpServer())
        .post('/v1/admin/training-runs')
        .set(auth)
        .send({ trials: 1 })
        .expect(409);
      expect(res.body.message).toContain('INSTANCE_ROLE=serve');
      expect(res.body.message).toContain('INSTANCE_ROLE=train or both');
      expect(res.body.details).toEqual([
        expect.objectContaining({ field: 'INSTANCE_ROLE', value: 'serve' }),
      ]);
    });

    it('never trains by itself: no first-start run on an empty registry, no nightly run', async () => {
      await t.app.get(TrainingScheduler).onApplicationBootstrap();
      expect((await t.app.get(NightlyScheduler).runNightly()).trainingRunId).toBeNull();
      expect(await t.app.get(TrainingService).listRuns(10)).toEqual([]);
    });

    it('still lets an operator train by hand (npm run train is the cli trigger)', async () => {
      const training = t.app.get(TrainingService);
      const { runId } = await training.startRun('cli', { families: ['linear'] });
      expect((await training.waitForRun(runId)).status).toBe('succeeded');
    });
  });

  describe('TRAINING_PROCESS=child', () => {
    let t: TestApp;
    const http = () => request(t.app.getHttpServer());
    beforeAll(async () => {
      t = await createTestApp({
        TRAINING_PROCESS: 'child',
        TRAINING_SCHEDULING: 'nice',
        TRAINING_NICE: '3',
        SEARCH_CONCURRENCY: '2',
        CHAMPION_POLL_MS: '200',
        ADMIN_TOKEN,
      });
      await ingestBatch(t, 1);
    }, 60_000);
    afterAll(() => t?.close());

    it('a child killed mid-run leaves the run failed, and the lock free', async () => {
      const started = await http()
        .post('/v1/admin/training-runs')
        .set(auth)
        .send({ families: ['linear'] })
        .expect(202);
      const pid = await until(() => t.app.get(TrainingProcess).pids()[0]);
      process.kill(pid, 'SIGKILL');
      const run = await t.app.get(TrainingService).waitForRun(started.body.runId);
      expect(run.status).toBe('failed');
      expect(run.error).toContain('SIGKILL');
    }, 60_000);

    it('runs the search in a process whose every thread is at TRAINING_NICE, same run record', async () => {
      const server = threadNiceness(process.pid);
      const started = await http()
        .post('/v1/admin/training-runs')
        .set(auth)
        .send({ trials: 2, families: ['xgboost'] })
        .expect(202);
      const pid = await until(() => t.app.get(TrainingProcess).pids()[0]);
      expect(pid).not.toBe(process.pid);
      const atStart = threadNiceness(pid).size;
      // Every thread seen while the child lives, search workers included (started mid-run).
      const seen = await watchThreads(
        pid,
        () => t.app.get(TrainingProcess).pids().includes(pid),
        threadNiceness,
      );
      const run = (
        await http().get(`/v1/admin/training-runs/${started.body.runId}`).set(auth).expect(200)
      ).body;
      expect(run).toMatchObject({ status: 'succeeded', trigger: 'admin', trials: 2 });
      expect(run.outcomes).toEqual([
        expect.objectContaining({ family: 'xgboost', version: 1, promoted: true }),
      ]);
      // Node's own threads, and the search's two workers started mid-run, all at the level.
      expect(seen.size).toBeGreaterThanOrEqual(atStart + 2);
      expect(new Set(seen.values())).toEqual(new Set([3]));
      // The server itself stays where it was.
      expect(new Set(threadNiceness(process.pid).values())).toEqual(new Set(server.values()));
      // The server prices with the champion the child promoted (seen by polling).
      await until(async () => {
        const res = await http()
          .post('/v1/prices')
          .send({ ...SAMPLE_DIAMOND, model: { family: 'xgboost' } });
        return res.status === 200 ? res : undefined;
      }, 10_000);
    }, 120_000);
  });
  describe('TRAINING_PROCESS=child, TRAINING_SCHEDULING=idle (the default)', () => {
    let t: TestApp;
    let logged: jest.SpyInstance;
    beforeAll(async () => {
      logged = jest.spyOn(Logger.prototype, 'log');
      t = await createTestApp({
        TRAINING_PROCESS: 'child',
        SEARCH_CONCURRENCY: '2',
        CHAMPION_POLL_MS: '200',
        ADMIN_TOKEN,
      });
      await ingestBatch(t, 1);
    }, 60_000);
    afterAll(async () => {
      logged.mockRestore();
      await t?.close();
    });

    it('starts the child at SCHED_IDLE, every thread of it included; the server keeps its own policy', async () => {
      // Jest itself must not run at SCHED_IDLE (`chrt --idle 0 npx jest`): a child would inherit
      // it, and this test could not tell. The server's threads are normal (policy 0) throughout.
      const server = threadPolicies(process.pid);
      if ([...server.values()].includes(5))
        throw new Error('jest runs at SCHED_IDLE (chrt --idle): run this test without chrt');
      expect(new Set(server.values())).toEqual(new Set([0]));
      const started = await request(t.app.getHttpServer())
        .post('/v1/admin/training-runs')
        .set(auth)
        .send({ trials: 2, families: ['xgboost'] })
        .expect(202);
      const pid = await until(() => t.app.get(TrainingProcess).pids()[0]);
      expect(pid).not.toBe(process.pid);
      const atStart = threadPolicies(pid).size;
      const seen = await watchThreads(
        pid,
        () => t.app.get(TrainingProcess).pids().includes(pid),
        threadPolicies,
      );
      const run = await t.app.get(TrainingService).waitForRun(started.body.runId);
      expect(run.status).toBe('succeeded');
      // Node's own threads and the search's two workers started mid-run: all SCHED_IDLE.
      expect(seen.size).toBeGreaterThanOrEqual(atStart + 2);
      expect(new Set(seen.values())).toEqual(new Set([5]));
      expect(new Set(threadPolicies(process.pid).values())).toEqual(new Set([0]));
      // The log line says how the child was started.
      const lines = logged.mock.calls.map((call) => String(call[0]));
      expect(lines).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^Training run ${run.id} runs in process ${pid} \\(SCHED_IDLE, TRAINING_SCHEDULING=idle\\)$`,
          ),
        ),
      );
    }, 120_000);
  });
});
