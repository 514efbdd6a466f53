import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AdvisoryLock } from '../database/advisory-lock';
import { mkdir, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config';
import { FileRefusedError } from './csv-reader';
import { DiamondsService, IngestionReport } from './diamonds.service';

/** One scanner at a time across the instances sharing the database (see AdvisoryLock). */
export const DROP_FOLDER_LOCK_KEY = 727_024;

interface DropFolderFileResult {
  file: string;
  movedTo: string;
  report?: IngestionReport;
  refused?: string;
}

/**
 * The drop folder: CSV files put in data/incoming are ingested, then moved to data/processed
 * (never deleted), or to data/rejected with a .reason.txt when refused as a whole. A single-host
 * convenience (uploads through the API are the multi-host way); one instance scans at a time
 * (a lock in the database): another finding it taken scans nothing this time.
 */
@Injectable()
export class DropFolderService {
  private readonly logger = new Logger(DropFolderService.name);
  private running: Promise<DropFolderFileResult[]> | null = null;
  private readonly lock: AdvisoryLock;

  constructor(
    private readonly config: AppConfig,
    private readonly diamonds: DiamondsService,
    @InjectDataSource() dataSource: DataSource,
  ) {
    this.lock = new AdvisoryLock(dataSource, DROP_FOLDER_LOCK_KEY);
  }

  get folders() {
    const root = this.config.DATA_DIR;
    return {
      incoming: join(root, 'incoming'),
      processed: join(root, 'processed'),
      rejected: join(root, 'rejected'),
    };
  }

  /** Ingests every file in the incoming folder, oldest name first. Concurrent calls share one scan. */
  scan(): Promise<DropFolderFileResult[]> {
    if (!this.running) this.running = this.scanOnce().finally(() => (this.running = null));
    return this.running;
  }

  private async scanOnce(): Promise<DropFolderFileResult[]> {
    const held = await this.lock.tryAcquire();
    if (!held) {
      this.logger.log('Drop folder: another instance is scanning it; skipped this time');
      return [];
    }
    try {
      return await this.scanHeld();
    } finally {
      await held.release();
    }
  }

  private async scanHeld(): Promise<DropFolderFileResult[]> {
    const { incoming, processed, rejected } = this.folders;
    await Promise.all([incoming, processed, rejected].map((d) => mkdir(d, { recursive: true })));
    const names = (await readdir(incoming)).filter((n) => !n.startsWith('.')).sort();
    const results: DropFolderFileResult[] = [];
    for (const name of names) {
      const path = join(incoming, name);
      // Gone already (another instance sharing the folder took it) or not a file: skip.
      const info = await stat(path).catch(() => null);
      if (!info?.isFile()) continue;
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      try {
        const report = await this.diamonds.ingestFile(path, 'drop-folder', name);
        const movedTo = join(processed, `${stamp}_${name}`);
        await rename(path, movedTo);
        results.push({ file: name, movedTo, report });
      } catch (err) {
        // Whatever failed (the file, the database), the file leaves incoming/ with its reason:
        // left there it would be retried and logged at every scan forever.
        const message = (err as Error).message ?? String(err);
        const reason =
          err instanceof FileRefusedError
            ? message
            : `Could not be ingested (${message}); move it back to incoming/ to retry`;
        const movedTo = await this.reject(path, join(rejected, `${stamp}_${name}`), reason);
        this.logger.warn(`Refused ${name}: ${reason}`);
        results.push({ file: name, movedTo, refused: reason });
      }
    }
    return results;
  }

  private async reject(path: string, movedTo: string, reason: string): Promise<string> {
    try {
      await rename(path, movedTo);
      await writeFile(`${movedTo}.reason.txt`, `${reason}\n`);
    } catch (err) {
      // Cannot move it (permissions, another instance took it): say so once per scan, go on.
      this.logger.error(`Could not move ${path} to rejected/: ${(err as Error).message}`);
    }
    return movedTo;
  }
}
