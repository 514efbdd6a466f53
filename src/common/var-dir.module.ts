import { Global, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { VarDirLock } from './var-dir-lock';

/** Holds this instance's VAR_DIR lock from the moment the app is built until it shuts down. */
@Injectable()
export class VarDirLockHolder implements OnApplicationShutdown {
  private readonly logger = new Logger(VarDirLockHolder.name);
  readonly lock: VarDirLock;

  constructor(config: AppConfig) {
    this.lock = new VarDirLock(config.VAR_DIR);
    // Taken at construction, before any provider that writes into VAR_DIR (the audit spool
    // injects this holder) is built; a refusal stops the start with the lock's message.
    this.lock.acquire();
    this.logger.log(`Holding ${this.lock.path}`);
  }

  onApplicationShutdown(): void {
    this.lock.release();
  }
}

/** One live process per VAR_DIR (see VarDirLock). */
@Global()
@Module({ providers: [VarDirLockHolder], exports: [VarDirLockHolder] })
export class VarDirModule {}
