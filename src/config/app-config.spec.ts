import { ConfigValidationError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('gives every setting its documented default', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      DATA_DIR: 'data',
      ARTIFACTS_DIR: 'artifacts',
      RETRAIN_CRON: '0 2 * * *',
      SEARCH_TRIALS: 100,
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.ADMIN_TOKEN).toBeUndefined();
  });

  it('reads and converts values from the environment', () => {
    const config = loadConfig({
      PORT: '8080',
      RETRAIN_ENABLED: 'off',
      PROMOTION_TOLERANCE: '0.02',
      DATABASE_URL: 'postgres://u:p@h:5432/d',
    });
    expect(config).toMatchObject({
      PORT: 8080,
      RETRAIN_ENABLED: false,
      PROMOTION_TOLERANCE: 0.02,
      DATABASE_URL: 'postgres://u:p@h:5432/d',
    });
  });

  it('refuses bad values with one line naming every bad key, without echoing secrets', () => {
    let error: Error | undefined;
    try {
      loadConfig({
        PORT: 'eighty',
        RETRAIN_CRON: 'nightly',
        ADMIN_TOKEN: 'short-secret',
        DATABASE_URL: 'mysql://root:hunter2@db/x',
        LOG_LEVEL: 'loud',
      });
    } catch (err) {
      error = err as Error;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const message = error!.message;
    expect(message).toMatch(/^Invalid configuration \(5 problems\): /);
    expect(message).not.toContain('\n');
    for (const key of ['PORT', 'RETRAIN_CRON', 'ADMIN_TOKEN', 'DATABASE_URL', 'LOG_LEVEL'])
      expect(message).toContain(`${key}=`);
    expect(message).not.toContain('short-secret');
    expect(message).not.toContain('hunter2');
    expect(message).toContain('ADMIN_TOKEN=[redacted]: ADMIN_TOKEN must be at least 16 characters');
  });

  it('names each bad key with the value given, and the price range rule beside another bad key', () => {
    expect(() => loadConfig({ PORT: 'abc', PRICE_MIN: '10', PRICE_MAX: '5' })).toThrow(
      'Invalid configuration (2 problems): PORT="abc": PORT must be an integer number; ' +
        'PRICE_MIN="10", PRICE_MAX="5": PRICE_MIN must be below PRICE_MAX',
    );
  });

  it('gives the kind a value broke, not the ranges a value of the wrong kind cannot meet', () => {
    expect(() => loadConfig({ AUDIT_BATCH_SIZE: 'many' })).toThrow(
      /AUDIT_BATCH_SIZE="many": AUDIT_BATCH_SIZE must be an integer number$/,
    );
    expect(() => loadConfig({ AUDIT_BATCH_SIZE: '5000' })).toThrow(
      /AUDIT_BATCH_SIZE="5000": AUDIT_BATCH_SIZE must not be greater than 2000$/,
    );
  });

  it('leaves the price range rule out when one of its bounds is itself bad, and says which bound is a default', () => {
    expect(() => loadConfig({ PRICE_MAX: '0.5' })).toThrow(
      /^Invalid configuration \(1 problem\): PRICE_MAX="0.5": PRICE_MAX must not be less than 1$/,
    );
    expect(() => loadConfig({ PRICE_MIN: '2000000' })).toThrow(
      /PRICE_MIN="2000000", PRICE_MAX \(default\): PRICE_MIN must be below PRICE_MAX$/,
    );
  });

  it('trims ADMIN_TOKEN, as the sent token is trimmed (a pasted newline could never match)', () => {
    expect(loadConfig({ ADMIN_TOKEN: '  change-me-0123456789\n' }).ADMIN_TOKEN).toBe(
      'change-me-0123456789',
    );
  });

  it('reads the plausible price range and refuses an empty one', () => {
    expect(loadConfig({ PRICE_MIN: '100', PRICE_MAX: '50000' })).toMatchObject({
      PRICE_MIN: 100,
      PRICE_MAX: 50000,
    });
    expect(() => loadConfig({ PRICE_MIN: '5000', PRICE_MAX: '100' })).toThrow(
      /PRICE_MIN="5000", PRICE_MAX="100": PRICE_MIN must be below PRICE_MAX/,
    );
  });
  it('reads the instance role and the training process settings, and names a bad one with its value', () => {
    expect(loadConfig({})).toMatchObject({
      INSTANCE_ROLE: 'both',
      TRAINING_PROCESS: 'child',
      TRAINING_NICE: 10,
      TRAINING_SCHEDULING: 'idle',
      TRAINING_CHRT_PATH: '/usr/bin/chrt',
    });
    expect(
      loadConfig({ TRAINING_SCHEDULING: 'nice', TRAINING_CHRT_PATH: '/opt/bin/chrt' }),
    ).toMatchObject({ TRAINING_SCHEDULING: 'nice', TRAINING_CHRT_PATH: '/opt/bin/chrt' });
    expect(() => loadConfig({ TRAINING_SCHEDULING: 'fifo' })).toThrow(
      /TRAINING_SCHEDULING="fifo": TRAINING_SCHEDULING must be one of the following values: idle, nice$/,
    );
    expect(
      loadConfig({ INSTANCE_ROLE: 'serve', TRAINING_PROCESS: 'inline', TRAINING_NICE: '19' }),
    ).toMatchObject({ INSTANCE_ROLE: 'serve', TRAINING_PROCESS: 'inline', TRAINING_NICE: 19 });
    expect(() => loadConfig({ INSTANCE_ROLE: 'server' })).toThrow(
      /INSTANCE_ROLE="server": INSTANCE_ROLE must be one of the following values: serve, train, both$/,
    );
    expect(() => loadConfig({ TRAINING_NICE: '20', TRAINING_PROCESS: 'fork' })).toThrow(
      /^Invalid configuration \(2 problems\): .*TRAINING_PROCESS="fork": TRAINING_PROCESS must be one of the following values: child, inline.*TRAINING_NICE="20": TRAINING_NICE must not be greater than 19/,
    );
  });
});
