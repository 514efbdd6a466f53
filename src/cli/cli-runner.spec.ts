import { INestApplicationContext } from '@nestjs/common';
import { DomainError, ErrorCode } from '../common/domain-error';
import { basename } from 'node:path';
import { FileRefusedError } from '../diamonds/csv-reader';
import { CliCommand, runCommand } from './cli-runner';
import { ingestCommand } from './ingest.cli';
import { trainCommand } from './train.cli';

/** What a command wrote, while it runs. */
function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation((c) => !!out.push(String(c))),
    jest.spyOn(process.stderr, 'write').mockImplementation((c) => !!err.push(String(c))),
    jest.spyOn(console, 'log').mockImplementation((...a) => void out.push(`${a.join(' ')}\n`)),
    jest.spyOn(console, 'error').mockImplementation((...a) => void err.push(`${a.join(' ')}\n`)),
  ];
  return {
    stdout: () => out.join(''),
    stderr: () => err.join(''),
    restore: () => spies.forEach((s) => s.mockRestore()),
  };
}

const fakeContext = (): INestApplicationContext & { closed: boolean } => {
  const context = {
    closed: false,
    get: () => ({}),
    close: async () => void (context.closed = true),
  };
  return context as unknown as INestApplicationContext & { closed: boolean };
};

const failing = (err: Error): CliCommand<string[]> => ({
  usage: 'npm run probe',
  help: 'A probe.',
  parse: (argv) => argv,
  run: () => Promise.reject(err),
});

describe('runCommand', () => {
  let io: ReturnType<typeof capture>;
  beforeEach(() => (io = capture()));
  afterEach(() => io.restore());
  const boot = jest.fn(async () => fakeContext());

  it('answers --help on both commands without reading the settings or opening the database', async () => {
    for (const command of [trainCommand, ingestCommand] as CliCommand<unknown>[]) {
      expect(await runCommand(command, { argv: ['--help'], env: { PORT: 'abc' }, boot })).toBe(0);
      expect(io.stdout()).toContain(`Usage: ${command.usage}`);
    }
    expect(io.stdout()).toContain('--trials N');
    expect(io.stderr()).toBe('');
    expect(boot).not.toHaveBeenCalled();
  });

  it('refuses wrong arguments with one line and the usage, status 2', async () => {
    const cases: [CliCommand<unknown>, string[], string][] = [
      [trainCommand, ['--bogus'], 'Unknown argument --bogus'],
      [trainCommand, ['--trials', 'many'], '--trials must be a whole number >= 0'],
      [trainCommand, ['--trials'], '--trials needs a value'],
      [trainCommand, ['--families', '--trials', '2'], '--families needs a value'],
      [ingestCommand, [], 'No file given'],
      [ingestCommand, ['--force', 'a.csv'], 'Unknown option --force'],
    ];
    for (const [command, argv, message] of cases) {
      const before = io.stderr().length;
      expect(await runCommand(command, { argv, env: {}, boot })).toBe(2);
      expect(io.stderr().slice(before)).toBe(`${message}; usage: ${command.usage}\n`);
    }
    expect(boot).not.toHaveBeenCalled();
  });

  it('reads --trials and --families in both spellings', () => {
    expect(trainCommand.parse(['--trials', '5', '--families=linear, xgboost'])).toEqual({
      trials: 5,
      families: ['linear', 'xgboost'],
    });
    expect(trainCommand.parse(['--trials=0'])).toEqual({ trials: 0 });
  });

  it('refuses a bad setting with the configuration line, before opening the database', async () => {
    const status = await runCommand(trainCommand, {
      argv: [],
      env: { PORT: 'abc', PRICE_MIN: '10', PRICE_MAX: '5' },
      boot,
    });
    expect(status).toBe(1);
    expect(io.stderr()).toMatch(/^Invalid configuration \(2 problems\): PORT="abc".*[^\n]\n$/);
    expect(boot).not.toHaveBeenCalled();
  });

  it('says in one line that the database cannot be opened, whatever the driver threw', async () => {
    const refused = Object.assign(
      new AggregateError([new Error('connect ECONNREFUSED ::1:5432')]),
      {
        code: 'ECONNREFUSED',
      },
    );
    const status = await runCommand(trainCommand, {
      argv: [],
      env: { DATABASE_URL: 'postgres://u:secret@db.example:5432/d' },
      boot: () => Promise.reject(refused),
    });
    expect(status).toBe(1);
    expect(io.stderr()).toBe(
      'Cannot open the database (PostgreSQL db.example:5432/d schema public): connect ECONNREFUSED ::1:5432\n',
    );
  });

  it('reports a refusal as its message and anything else as one line without a stack; the context is closed', async () => {
    const refusal = new DomainError(
      ErrorCode.Conflict,
      'A training run is already in progress (run 3)',
    );
    const unexpected = new Error('disk full\nwhile writing the artifact');
    for (const [err, line] of [
      [refusal, 'A training run is already in progress (run 3)\n'],
      [unexpected, 'Failed: disk full while writing the artifact\n'],
    ] as const) {
      const context = fakeContext();
      const before = io.stderr().length;
      const status = await runCommand(failing(err), {
        argv: [],
        env: {},
        boot: async () => context,
      });
      expect(status).toBe(1);
      expect(io.stderr().slice(before)).toBe(line);
      expect(context.closed).toBe(true);
    }
  });
});

describe('npm run ingest', () => {
  it('says which files are missing or refused, ingests the others, and ends with status 1', async () => {
    const io = capture();
    try {
      const ingested: string[] = [];
      const diamonds = {
        ingestFile: async (path: string) => {
          ingested.push(path);
          if (path.endsWith('mixed.csv')) throw new FileRefusedError('wrong header');
          return { outcome: 'ingested', batchId: 7, accepted: 3, rejected: 0, rejections: [] };
        },
      };
      const context = { get: () => diamonds } as unknown as INestApplicationContext;
      const status = await ingestCommand.run(context, [
        'no-such-file.csv',
        'test/fixtures/good.csv',
        'test/fixtures/mixed.csv',
      ]);
      expect(status).toBe(1);
      expect(ingested.map((p) => basename(p))).toEqual(['good.csv', 'mixed.csv']);
      expect(io.stderr()).toBe(
        'no-such-file.csv: no such file\ntest/fixtures/mixed.csv: refused: wrong header\n',
      );
      expect(io.stdout()).toBe('test/fixtures/good.csv: batch 7: 3 accepted, 0 rejected\n');
    } finally {
      io.restore();
    }
  });
});
