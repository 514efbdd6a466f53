import { Injectable, Logger } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { AppConfig } from '../config/app-config';
import { DomainError, ErrorCode } from '../common/domain-error';

/**
 * Which model of a version an artifact holds: `served` (refit on every row, what prediction
 * loads) or `split` (fitted on the training side of the split only: what the promotion gate
 * scores on holdout rows it never saw).
 */
export type ArtifactKind = 'served' | 'split';

interface StoredArtifact {
  /** Path of the model file relative to ARTIFACTS_DIR (portable across instances). */
  path: string;
  size: number;
  sha256: string;
}

const MODEL_FILE = 'model.bin';
const METADATA_FILE = 'metadata.json';

/** The folder of a version's artifact of a kind, under its family's folder. */
function folderName(version: number, kind: ArtifactKind): string {
  return kind === 'served' ? String(version) : `${version}-${kind}`;
}

/**
 * Model files on disk: artifacts/<family>/<version>/model.bin + metadata.json (the served model),
 * artifacts/<family>/<version>-split/ (the split model).
 * A version folder is written under a temporary name and renamed into place, so a reader
 * never sees a half-written artifact; the registry row is inserted only after the rename.
 */
@Injectable()
export class ArtifactStore {
  private readonly logger = new Logger(ArtifactStore.name);

  constructor(private readonly config: AppConfig) {}

  private get root(): string {
    return resolve(this.config.ARTIFACTS_DIR);
  }

  async write(
    family: string,
    version: number,
    kind: ArtifactKind,
    model: Buffer,
    metadata: Record<string, unknown>,
  ): Promise<StoredArtifact> {
    const familyDir = join(this.root, family);
    const folder = folderName(version, kind);
    const finalDir = join(familyDir, folder);
    const tempDir = join(familyDir, `.tmp-${folder}-${randomBytes(4).toString('hex')}`);
    await mkdir(tempDir, { recursive: true });
    const sha256 = createHash('sha256').update(model).digest('hex');
    await writeFile(join(tempDir, MODEL_FILE), model);
    await writeFile(
      join(tempDir, METADATA_FILE),
      JSON.stringify({ family, version, kind, sha256, size: model.length, ...metadata }, null, 2),
    );
    // A folder already there is not registered here: left by a crash before registration, or
    // written by another registry sharing this folder by mistake. Move it aside, never delete it.
    if (existsSync(finalDir)) {
      const aside = join(familyDir, `.replaced-${folder}-${Date.now()}`);
      await rename(finalDir, aside);
      this.logger.warn(`${finalDir} existed but is not registered; moved it to ${aside}`);
    }
    await rename(tempDir, finalDir);
    return { path: relative(this.root, join(finalDir, MODEL_FILE)), size: model.length, sha256 };
  }

  /** Reads a model file and checks it against the sha256 the registry recorded. */
  async read(path: string, expectedSha256: string): Promise<Buffer> {
    const full = join(this.root, path);
    let bytes: Buffer;
    try {
      bytes = await readFile(full);
    } catch {
      throw new DomainError(ErrorCode.ArtifactCorrupt, `Model artifact ${path} is missing`);
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== expectedSha256) {
      throw new DomainError(
        ErrorCode.ArtifactCorrupt,
        `Model artifact ${path} is corrupt: sha256 ${sha256} does not match the registry's ${expectedSha256}`,
      );
    }
    return bytes;
  }
}
