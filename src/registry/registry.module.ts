import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ModelRuntimeModule } from '../model-runtime/model-runtime.module';
import { ArtifactStore } from './artifact.store';
import { AliasLedgerEntity } from './entities/alias-ledger.entity';
import { ModelAliasEntity } from './entities/model-alias.entity';
import { ModelArtifactEntity } from './entities/model-artifact.entity';
import { ModelVersionEntity } from './entities/model-version.entity';
import { ModelCatalog } from './model-catalog';
import { RegistryRepository } from './registry.repository';
import { RegistryService } from './registry.service';

/** Model versions, artifacts, champion aliases and their ledger (the endpoints: RegistryApiModule). */
@Module({
  imports: [
    TypeOrmModule.forFeature([
      ModelVersionEntity,
      ModelAliasEntity,
      AliasLedgerEntity,
      ModelArtifactEntity,
    ]),
    ModelRuntimeModule,
  ],
  providers: [
    RegistryRepository,
    ArtifactStore,
    RegistryService,
    { provide: ModelCatalog, useExisting: RegistryService },
  ],
  exports: [RegistryService, ModelCatalog],
})
export class RegistryModule {}
