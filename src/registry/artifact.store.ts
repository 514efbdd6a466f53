import { Injectable, Logger } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { AppConfig } from '../config/app-config';
import { DomainError, ErrorCode } from '../common/domain-error';
import type { ArtifactKind } from './entities/model-artifact.entity';
export type { ArtifactKind } from './entities/model-artifact.entity';
import { NewArtifact, RegistryRepository } from './registry.repository';

/** An artifact as the registry row records it: its cache path (relative to ARTIFACTS_DIR), size, sha256. */
export interface StoredArtifact {
  path: string;
  size: number;
  sha256: string;
}

const MODEL_FILE = 'model.bin';
const METADATA_FILE = 'metadata.json';

/** The cache folder of a version's artifact of a kind, under its family's folder. */
function folderName(version: number, kind: ArtifactKind): string {
  return kind === 'served' ? String(version) : `${version}-${kind}`;
}

const sha256Of = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Model files. The database holds them (`model_artifact`, written with the registry row, see
 * RegistryRepository.insertVersion), so every replica can load every version; ARTIFACTS_DIR is
 * this process's cache of them (`<family>/<version>/model.bin` and `metadata.json`, the split
 * model in `<family>/<version>-split/`),
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
    return join(family, folderName(version, kind), MODEL_FILE);
  }

  /** The artifact to store: its bytes and their sha256. */
  digest(kind: ArtifactKind, bytes: Buffer): NewArtifact {
    return { kind, bytes, sha256: sha256Of(bytes) };
  }

  /**
   * Caches a just-registered artifact and its metadata (best effort: the database has it). The
   * folder is written under a temporary name and renamed into place; a folder already there is
   * not this registry's (a cache of another database, a crash): moved aside, never deleted.
   */
  async cacheVersion(
    family: string,
    version: number,
    artifact: NewArtifact,
    metadata: Record<string, unknown>,
  ): Promise<void> {
    const root = this.root;
    if (!root) return;
    const folder = folderName(version, artifact.kind);
    try {
      const familyDir = join(root, family);
      const finalDir = join(familyDir, folder);
      const tempDir = join(familyDir, `.tmp-${folder}-${randomBytes(4).toString('hex')}`);
      await mkdir(tempDir, { recursive: true });
      await writeFile(join(tempDir, MODEL_FILE), artifact.bytes);
      await writeFile(
        join(tempDir, METADATA_FILE),
        JSON.stringify(
          {
            family,
            version,
            kind: artifact.kind,
            sha256: artifact.sha256,
            size: artifact.bytes.length,
            ...metadata,
          },
          null,
          2,
        ),
      );
      if (existsSync(finalDir)) {
        const aside = join(familyDir, `.replaced-${folder}-${Date.now()}`);
        await rename(finalDir, aside);
        this.logger.warn(`${finalDir} existed but is not registered; moved it to ${aside}`);
      }
      await rename(tempDir, finalDir);
    } catch (err) {
      this.logger.warn(
        `Could not cache ${family} v${version} (${artifact.kind}) in ${root}: ${(err as Error).message} (the database has it)`,
      );
    }
  }

  /** Artifacts found loadable, by family/version/kind: the cache file's signature then. */
  private readonly verified = new Map<string, string>();

  /**
   * Throws ARTIFACT_CORRUPT when an artifact cannot be loaded (missing, or not matching the
   * recorded sha256). Cheap when called often (readiness probes): once loadable, a stat of the
   * cached file, and a full load again only when it changed (or, without a cache, never).
   */
  async verify(
    family: string,
    version: number,
    kind: ArtifactKind,
    expectedSha256: string,
  ): Promise<void> {
    const key = `${family}/${version}/${kind}`;
    const path = ArtifactStore.pathOf(family, version, kind);
    const before = await this.cacheSignature(path, expectedSha256);
    if (this.verified.get(key) === before) return;
    this.verified.delete(key);
    await this.load(family, version, kind, expectedSha256);
    this.verified.set(key, await this.cacheSignature(path, expectedSha256));
  }

  /** The cached file's identity (size, time, inode), `no-cache` without ARTIFACTS_DIR, `absent` when not cached. */
  private async cacheSignature(path: string, sha256: string): Promise<string> {
    const root = this.root;
    if (!root) return `no-cache:${sha256}`;
    try {
      const s = await stat(join(root, path));
      return `${sha256}:${s.size}:${s.mtimeMs}:${s.ino}`;
    } catch {
      return 'absent';
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
      // Neither in the database nor (matching its sha256) in the cache.
      throw new DomainError(ErrorCode.ArtifactCorrupt, `Model artifact ${path} is missing`);
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
   * Imports the artifacts of versions registered before they were kept in the database, from
   * ARTIFACTS_DIR (at start; nothing lost). A file that is absent or does not match its sha256 is
   * named in the log and left out: that artifact cannot be loaded anywhere.
   */
  async importFromDisk(): Promise<{ imported: number; missing: string[] }> {
    const pending = await this.repository.artifactsNotStored();
    const missing: string[] = [];
    let imported = 0;
    for (const a of pending) {
      const bytes = a.path ? await this.readCache(a.path) : null;
      if (!bytes || sha256Of(bytes) !== a.sha256) {
        missing.push(`${a.family} v${a.version} ${a.kind} (${a.path})`);
        continue;
      }
      await this.repository.insertArtifactIfAbsent(a.family, a.version, {
        kind: a.kind,
        bytes,
        sha256: a.sha256,
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
