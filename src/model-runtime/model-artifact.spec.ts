import { artifactFamily, decodeArtifact, encodeArtifact } from './model-artifact';
import { InvalidModelArtifactError } from './model-family';

describe('model artifacts', () => {
  const body = Uint8Array.from([0, 1, 2, 255]);
  const artifact = encodeArtifact({ family: 'xgboost', target: 'price' }, body);

  it('round-trips the header and the body', () => {
    const { header, body: decoded } = decodeArtifact(artifact, 'xgboost');
    expect(header).toEqual({ family: 'xgboost', target: 'price' });
    expect(Array.from(decoded)).toEqual([0, 1, 2, 255]);
    expect(artifactFamily(artifact)).toBe('xgboost');
  });

  it('refuses foreign, truncated and mismatched artifacts', () => {
    expect(() => decodeArtifact(Buffer.from('{"family":"xgboost"}'), 'xgboost')).toThrow(
      InvalidModelArtifactError,
    );
    expect(() => decodeArtifact(artifact.subarray(0, 12), 'xgboost')).toThrow('Truncated');
    expect(() => decodeArtifact(artifact, 'linear')).toThrow('"xgboost" model, not "linear"');
  });
});
