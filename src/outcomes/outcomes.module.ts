import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OutcomeEntity } from './outcome.entity';
import { OutcomesAdminController, OutcomesController } from './outcomes.controller';
import { DiamondsModule } from '../diamonds/diamonds.module';
import { OutcomesService } from './outcomes.service';
import { PricedRequestEntity } from './priced-request.entity';
import { PricedRequestLog } from './priced-request.log';

/**
 * The store's outcomes: the priced requests (written by the prediction path through
 * PricedRequestLog) and what the store then paid (POST /v1/outcomes, its summary).
 */
@Module({
  imports: [DiamondsModule, TypeOrmModule.forFeature([PricedRequestEntity, OutcomeEntity])],
  controllers: [OutcomesController, OutcomesAdminController],
  providers: [PricedRequestLog, OutcomesService],
  exports: [PricedRequestLog, OutcomesService],
})
export class OutcomesModule {}
