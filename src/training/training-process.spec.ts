import { Logger } from '@nestjs/common';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/app-config';
import { chrtCanIdle, TrainingProcess } from './training-process';

describe('TrainingProcess scheduling (TRAINING_SCHEDULING)', () => {
  let dir: string;
  let warn: jest.SpyInstance;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'chrt-spec-'));
    // A chrt that is there but refuses (as where SCHED_IDLE is not permitted): exit status 1.
    writeFileSync(
      join(dir, 'refusing-chrt'),
      '#!/bin/sh\necho "chrt: not permitted" >&2\nexit 1\n',
    );
    chmodSync(join(dir, 'refusing-chrt'), 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  const processWith = (env: Record<string, string>) => new TrainingProcess(loadConfig(env));

  it('falls back to nice with one warning naming the setting when chrt is missing', async () => {
    const missing = join(dir, 'no-such-chrt');
    expect(await chrtCanIdle(missing)).toBe(false);
    const training = processWith({ TRAINING_CHRT_PATH: missing, TRAINING_NICE: '7' });
    // Probed once: three runs' worth of asking, one warning.
    expect(await training.scheduling()).toBe('nice');
    expect(await training.scheduling()).toBe('nice');
    expect(await training.scheduling()).toBe('nice');
    expect(warn).toHaveBeenCalledTimes(1);
    const message = String(warn.mock.calls[0][0]);
    expect(message).toContain('TRAINING_SCHEDULING=idle');
    expect(message).toContain('TRAINING_CHRT_PATH');
    expect(message).toContain(missing);
    expect(message).toContain('nice 7');
  });

  it('falls back as well when chrt is there but cannot set SCHED_IDLE', async () => {
    const refusing = join(dir, 'refusing-chrt');
    expect(await chrtCanIdle(refusing)).toBe(false);
    expect(await processWith({ TRAINING_CHRT_PATH: refusing }).scheduling()).toBe('nice');
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('TRAINING_SCHEDULING=nice never probes chrt and never warns', async () => {
    const training = processWith({
      TRAINING_SCHEDULING: 'nice',
      TRAINING_CHRT_PATH: join(dir, 'no-such-chrt'),
    });
    expect(await training.scheduling()).toBe('nice');
    expect(warn).not.toHaveBeenCalled();
  });

  // The real binary, where this machine has it (util-linux): SCHED_IDLE needs no privilege.
  const chrtHere = existsSync('/usr/bin/chrt') ? it : it.skip;
  chrtHere('uses SCHED_IDLE where /usr/bin/chrt can set it (the default)', async () => {
    expect(await chrtCanIdle('/usr/bin/chrt')).toBe(true);
    expect(await processWith({}).scheduling()).toBe('idle');
    expect(warn).not.toHaveBeenCalled();
  });
});
