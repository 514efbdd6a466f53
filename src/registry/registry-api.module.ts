import { Module } from '@nestjs/common';
import { RegistryAdminController, RegistryController } from './registry.controller';
import { RegistryModule } from './registry.module';

/** The registry's endpoints: the model read endpoints, promotion and rollback. */
@Module({
  imports: [RegistryModule],
  controllers: [RegistryController, RegistryAdminController],
})
export class RegistryApiModule {}
