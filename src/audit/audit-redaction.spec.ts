import { redactDeep, redactJsonText, redactUrl, REDACTED } from './audit-redaction';

describe('audit redaction', () => {
  it.each(['creds', 'bearer', 'pwd', 'passphrase', 'session', 'privateKey', 'client_secret'])(
    'hides a body key named %s',
    (key) => {
      expect(redactDeep({ [key]: 'hunter2', carat: 0.7 })).toEqual({ [key]: REDACTED, carat: 0.7 });
      expect(redactJsonText(JSON.stringify({ nested: { [key]: 'hunter2' } }))).not.toContain(
        'hunter2',
      );
    },
  );

  it('hides a signed URL query `sig` and keeps the API fields', () => {
    expect(redactUrl('/v1/similar-diamonds?carat=0.7&sig=abc123&design=x&signal=y')).toBe(
      `/v1/similar-diamonds?carat=0.7&sig=${encodeURIComponent(REDACTED)}&design=x&signal=y`,
    );
    const fields = {
      carat: 1,
      cut: 'Ideal',
      model: { family: 'xgboost', version: 2 },
      reason: 'r',
    };
    expect(redactDeep(fields)).toEqual(fields);
  });
});
