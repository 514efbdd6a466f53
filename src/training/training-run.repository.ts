import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AdvisoryLock, HeldLock } from '../database/advisory-lock';
import { TrainingRunEntity } from './training-run.entity';

const TRAINING_LOCK_KEY = 727_002;

/** The training_run table and the training lock (one run at a time, across instances). */
@Injectable()
export class TrainingRunRepository {
  private readonly lock: AdvisoryLock;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.lock = new AdvisoryLock(dataSource, TRAINING_LOCK_KEY);
  }

  /** The training lock, or null when another run (this instance or another) holds it. */
  tryLock(): Promise<HeldLock | null> {
    return this.lock.tryAcquire();
  }

  create(run: Omit<TrainingRunEntity, 'id'>): Promise<TrainingRunEntity> {
    return this.runs.save(run as TrainingRunEntity);
  }

  async update(id: number, patch: Partial<TrainingRunEntity>): Promise<void> {
    await this.runs.update({ id }, patch);
  }

  find(id: number): Promise<TrainingRunEntity | null> {
    return this.runs.findOneBy({ id });
  }

  /** The latest runs, newest first. */
  list(limit: number): Promise<TrainingRunEntity[]> {
    return this.runs.find({ order: { id: 'DESC' }, take: limit });
  }

  findRunning(): Promise<TrainingRunEntity | null> {
    return this.runs.findOne({ where: { status: 'running' }, order: { id: 'DESC' } });
  }

  /** Every run's trigger, status and duration (null while running), for the metrics scrape. */
  async durations(): Promise<
    { trigger: string; status: string; durationSeconds: number | null }[]
  > {
    const runs = await this.runs.find({
      select: { trigger: true, status: true, startedAt: true, finishedAt: true },
    });
    return runs.map((r) => ({
      trigger: r.trigger,
      status: r.status,
      durationSeconds: r.finishedAt
        ? Math.max(0, (r.finishedAt.getTime() - r.startedAt.getTime()) / 1000)
        : null,
    }));
  }

  /** Marks runs left 'running' by a crash as failed. Call only while holding the training lock. */
  async failInterrupted(): Promise<number> {
    const result = await this.runs.update(
      { status: 'running' },
      {
        status: 'failed',
        finishedAt: new Date(),
        error: 'Interrupted: the service stopped during the run',
      },
    );
    return result.affected ?? 0;
  }

  private get runs() {
    return this.dataSource.getRepository(TrainingRunEntity);
  }
}
