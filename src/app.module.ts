import { Module } from '@nestjs/common';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DiamondsModule } from './diamonds/diamonds.module';

@Module({
  imports: [ConfigModule, DatabaseModule, DiamondsModule],
})
export class AppModule {}
