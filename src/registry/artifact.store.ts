import { Injectable, Logger } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { AppConfig } from '../config/app-config';
import { DomainError, ErrorCode } from '../common/domain-error';
import type { ArtifactKind } from './entities/model-artifact.entity';
export type { ArtifactKind } from './entities/model-artifact.entity';
import { NewArtifact, RegistryRepository } from './registry.repository';

const FILE_OF: Record<ArtifactKind, string> = { served: 'model.bin', split: 'split.bin' };
const METADATA_FILE = 'metadata.json';

const sha256Of = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Model files. The database holds them (`model_artifact`, written with the registry row, see
 * RegistryRepository.insertVersion), so every replica can load every version; ARTIFACTS_DIR is
 * this process's cache of them (`<family>/<version>/model.bin`, `split.bin`, `metadata.json`),
 * filled on registration and on first load, and optional (ARTIFACTS_DIR empty: no cache).
 * Every read is checked against the recorded sha256: a cached file that does not match is read
 * again from the database, stored bytes that do not match are refused.
 */
@Injectable()
export class ArtifactStore {
  private readonly logger = new Logger(ArtifactStore.name);

  constructor(
    private readonly config: AppConfig,
    private readonly repository: RegistryRepository,
  ) {}

  private get root(): string | null {
    return this.config.ARTIFACTS_DIR ? resolve(this.config.ARTIFACTS_DIR) : null;
  }

  /** Where an artifact is cached, relative to ARTIFACTS_DIR (the registry's `artifactPath` of the served one). */
  static pathOf(family: string, version: number, kind: ArtifactKind): string {
    return join(family, String(version), FILE_OF[kind]);
  }

  /** The artifact to store: its bytes and their sha256. */
  digest(kind: ArtifactKind, bytes: Buffer): NewArtifact {
    return { kind, bytes, sha256: sha256Of(bytes) };
  }

  /**
   * Caches a just-registered version's artifacts and metadata (best effort: the database has
   * them). The version folder is written under a temporary name and renamed into place; a folder
   * already there is not this registry's (a cache of another database, a crash): moved aside.
   */
  async cacheVersion(
    family: string,
    version: number,
    artifacts: NewArtifact[],
    metadata: Record<string, unknown>,
  ): Promise<void> {
    const root = this.root;
    if (!root) return;
    try {
      const familyDir = join(root, family);
      const finalDir = join(familyDir, String(version));
      const tempDir = join(familyDir, `.tmp-${version}-${randomBytes(4).toString('hex')}`);
      await mkdir(tempDir, { recursive: true });
      for (const a of artifacts) await writeFile(join(tempDir, FILE_OF[a.kind]), a.bytes);
      const served = artifacts.find((a) => a.kind === 'served');
      await writeFile(
        join(tempDir, METADATA_FILE),
        JSON.stringify(
          { family, version, sha256: served?.sha256, size: served?.bytes.length, ...metadata },
          null,
          2,
        ),
      );
      if (existsSync(finalDir)) {
        const aside = join(familyDir, `.replaced-${version}-${Date.now()}`);
        await rename(finalDir, aside);
        this.logger.warn(`${finalDir} existed but is not registered; moved it to ${aside}`);
      }
      await rename(tempDir, finalDir);
    } catch (err) {
      this.logger.warn(
        `Could not cache ${family} v${version} in ${root}: ${(err as Error).message} (the database has it)`,
      );
    }
  }

  /**
   * An artifact's bytes: from the cache when its sha256 matches, else from the database (then
   * cached). A version registered before artifacts were stored in the database is imported from
   * the cache folder on the way, when its file matches the recorded sha256.
   */
  async load(
    family: string,
    version: number,
    kind: ArtifactKind,
    expectedSha256?: string,
  ): Promise<Buffer> {
    const path = ArtifactStore.pathOf(family, version, kind);
    const cached = expectedSha256 ? await this.readCache(path) : null;
    if (cached && sha256Of(cached) === expectedSha256) return cached;
    if (cached)
      this.logger.warn(`Cached ${path} does not match its sha256; reading it from the database`);

    const stored = await this.repository.findArtifact(family, version, kind);
    if (!stored) {
      if (cached === null && expectedSha256) {
        const onDisk = await this.readCache(path);
        if (onDisk && sha256Of(onDisk) === expectedSha256) {
          await this.repository.insertArtifactIfAbsent(family, version, {
            kind,
            bytes: onDisk,
            sha256: expectedSha256,
          });
          this.logger.log(`Imported ${path} into the database`);
          return onDisk;
        }
      }
      throw new DomainError(
        ErrorCode.ArtifactCorrupt,
        `Model artifact ${path} is missing (neither in the database nor in the cache)`,
      );
    }
    const actual = sha256Of(stored.bytes);
    const expected = expectedSha256 ?? stored.sha256;
    if (actual !== stored.sha256 || actual !== expected)
      throw new DomainError(
        ErrorCode.ArtifactCorrupt,
        `Model artifact ${path} is corrupt: sha256 ${actual} does not match the registry's ${expected}`,
      );
    await this.writeCache(path, stored.bytes);
    return stored.bytes;
  }

  /**
   * Imports the served artifacts of versions registered before they were kept in the database,
   * from ARTIFACTS_DIR (at start; nothing lost). A file that is absent or does not match its
   * sha256 is named in the log and left out: that version cannot be loaded anywhere.
   */
  async importFromDisk(): Promise<{ imported: number; missing: string[] }> {
    const pending = await this.repository.versionsWithoutServedArtifact();
    const missing: string[] = [];
    let imported = 0;
    for (const v of pending) {
      const bytes = v.artifactPath ? await this.readCache(v.artifactPath) : null;
      if (!bytes || sha256Of(bytes) !== v.artifactSha256) {
        missing.push(`${v.family} v${v.version} (${v.artifactPath})`);
        continue;
      }
      await this.repository.insertArtifactIfAbsent(v.family, v.version, {
        kind: 'served',
        bytes,
        sha256: v.artifactSha256,
      });
      imported++;
    }
    if (imported > 0)
      this.logger.log(`Imported ${imported} model artifact(s) from ${this.root} into the database`);
    if (missing.length > 0)
      this.logger.warn(
        `Model artifacts neither in the database nor (matching their sha256) in ARTIFACTS_DIR: ${missing.join(', ')}`,
      );
    return { imported, missing };
  }

  private async readCache(path: string): Promise<Buffer | null> {
    const root = this.root;
    if (!root) return null;
    try {
      return await readFile(join(root, path));
    } catch {
      return null;
    }
  }

  /** Best effort, atomic (temporary file renamed into place): a reader never sees half a file. */
  private async writeCache(path: string, bytes: Buffer): Promise<void> {
    const root = this.root;
    if (!root) return;
    const full = join(root, path);
    const temp = `${full}.tmp-${randomBytes(4).toString('hex')}`;
    try {
      await mkdir(dirname(full), { recursive: true });
      await writeFile(temp, bytes);
      await rename(temp, full);
    } catch (err) {
      this.logger.warn(`Could not cache ${path} in ${root}: ${(err as Error).message}`);
    }
  }
}
