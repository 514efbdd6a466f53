import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DiamondsModule } from './diamonds/diamonds.module';

@Module({
  imports: [ConfigModule, DatabaseModule, ScheduleModule.forRoot(), DiamondsModule],
})
export class AppModule {}
