import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SimilarDiamondsService } from '../diamonds/similar-diamonds.service';
import { ErrorResponseDto } from '../common/error-response.dto';
import {
  DEFAULT_SIMILAR,
  MAX_SIMILAR,
  SimilarDiamondsQueryDto,
  SimilarDiamondsResponseDto,
  toSimilarDiamondDto,
} from './prediction.dto';

const REQUEST_ID_RESPONSE_HEADER = {
  'X-Request-Id': { description: 'The request id.', schema: { type: 'string' } },
};

@ApiTags('similar diamonds')
@Controller('v1/similar-diamonds')
export class SimilarDiamondsController {
  constructor(private readonly similar: SimilarDiamondsService) {}

  @Get()
  @ApiOperation({
    summary: 'Find the diamonds of the dataset most like this one',
    description:
      `The \`n\` diamonds (default ${DEFAULT_SIMILAR}, at most ${MAX_SIMILAR}) of the current dataset with the same cut, color and clarity ` +
      'and the closest carat, closest first. Ties: at equal carat distance the lighter diamond comes first; at equal carat the lower `id` ' +
      '(the earlier ingested row) comes first. No diamond of that grade gives an empty list, not an error. ' +
      'Served from memory, refreshed when new data is ingested.',
  })
  @ApiOkResponse({ type: SimilarDiamondsResponseDto, headers: REQUEST_ID_RESPONSE_HEADER })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description:
      'VALIDATION_FAILED: a parameter is missing, out of range or unknown (the message names it and the rule).',
    headers: REQUEST_ID_RESPONSE_HEADER,
  })
  async find(@Query() query: SimilarDiamondsQueryDto): Promise<SimilarDiamondsResponseDto> {
    const items = (
      await this.similar.query(
        query.cut,
        query.color,
        query.clarity,
        query.carat,
        query.n ?? DEFAULT_SIMILAR,
      )
    ).map(toSimilarDiamondDto);
    return { items, count: items.length };
  }
}
