import { InvalidModelArtifactError } from './model-family';

const MAGIC = Buffer.from('DPMA', 'ascii');
const FORMAT_VERSION = 1;

/** What every artifact's JSON header carries; families add their own fields. */
export interface ArtifactHeader {
  family: string;
  [key: string]: unknown;
}

/**
 * Layout: "DPMA", u8 format version, u32 LE header length, UTF-8 JSON header, then the family's
 * binary body (XGBoost model bytes, float64 coefficients...).
 */
export function encodeArtifact(header: ArtifactHeader, body: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(MAGIC.length + 1 + 4);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt8(FORMAT_VERSION, MAGIC.length);
  prefix.writeUInt32LE(json.length, MAGIC.length + 1);
  return Buffer.concat([prefix, json, body]);
}

/** Reads any artifact, whichever family wrote it. */
export function readArtifact(artifact: Buffer): { header: ArtifactHeader; body: Buffer } {
  const headerStart = MAGIC.length + 5;
  if (artifact.length < headerStart || !artifact.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new InvalidModelArtifactError('Not a model artifact');
  }
  const version = artifact.readUInt8(MAGIC.length);
  if (version !== FORMAT_VERSION) {
    throw new InvalidModelArtifactError(`Unsupported artifact format version ${version}`);
  }
  const headerLength = artifact.readUInt32LE(MAGIC.length + 1);
  if (headerStart + headerLength > artifact.length) {
    throw new InvalidModelArtifactError('Truncated model artifact');
  }
  let header: unknown;
  try {
    header = JSON.parse(
      artifact.subarray(headerStart, headerStart + headerLength).toString('utf8'),
    );
  } catch {
    throw new InvalidModelArtifactError('Corrupt model artifact header');
  }
  if (
    typeof header !== 'object' ||
    header === null ||
    typeof (header as ArtifactHeader).family !== 'string'
  ) {
    throw new InvalidModelArtifactError('The artifact header names no model family');
  }
  return { header: header as ArtifactHeader, body: artifact.subarray(headerStart + headerLength) };
}

/** Reads an artifact that must hold a model of `family`. */
export function decodeArtifact(
  artifact: Buffer,
  family: string,
): { header: ArtifactHeader; body: Buffer } {
  const decoded = readArtifact(artifact);
  if (decoded.header.family !== family) {
    throw new InvalidModelArtifactError(
      `The artifact holds a "${decoded.header.family}" model, not "${family}"`,
    );
  }
  return decoded;
}

/** The family named in an artifact's header, to pick the family that loads it. */
export function artifactFamily(artifact: Buffer): string {
  return readArtifact(artifact).header.family;
}
