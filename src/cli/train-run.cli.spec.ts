import { ChildMessage } from '../training/training-process';
import { ParentChannel, sendToParent } from './train-run.cli';

/** A fake IPC side: `connected`, and a send whose callback gets `fails` (or null). */
function channel(connected: boolean, fails?: Error) {
  const sent: unknown[] = [];
  const fake = {
    connected,
    send: (
      message: unknown,
      _handle: unknown,
      _options: unknown,
      cb: (e: Error | null) => void,
    ) => {
      sent.push(message);
      setImmediate(() => cb(fails ?? null));
      return !fails;
    },
  };
  return { fake: fake as unknown as ParentChannel, sent };
}

const started: ChildMessage = { type: 'started', pid: 42 };
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('sendToParent (the trainer child talking to the server)', () => {
  it('sends while the parent is there, and does not call gone', async () => {
    const { fake, sent } = channel(true);
    const gone = jest.fn();
    sendToParent(fake, started, gone);
    await settle();
    expect(sent).toEqual([started]);
    expect(gone).not.toHaveBeenCalled();
  });

  it('calls gone instead of throwing when the channel is already closed', () => {
    const { fake, sent } = channel(false);
    const gone = jest.fn();
    expect(() => sendToParent(fake, started, gone)).not.toThrow();
    expect(sent).toEqual([]);
    expect(gone).toHaveBeenCalledWith('the IPC channel is closed');
  });

  it('calls gone when the write fails (EPIPE: the parent died under it)', async () => {
    const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    const { fake } = channel(true, epipe);
    const gone = jest.fn();
    sendToParent(fake, started, gone);
    await settle();
    expect(gone).toHaveBeenCalledWith('write EPIPE');
  });

  it('does nothing without an IPC channel (started by hand)', () => {
    const gone = jest.fn();
    sendToParent({ connected: false, send: undefined }, started, gone);
    expect(gone).not.toHaveBeenCalled();
  });
});
