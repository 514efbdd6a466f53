import { ParseIdPipe } from '../common/parse-id.pipe';
import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiConflictResponse,
} from '@nestjs/swagger';
import { AdminOnly } from '../common/admin-auth.guard';
import {
  compareVersions,
  CompareDto,
  CompareQueryDto,
  LedgerEntryDto,
  LedgerQueryDto,
  ModelsOverviewDto,
  PromoteDto,
  RollbackDto,
  toFamilyDto,
  toLedgerEntryDto,
  toVersionDetailDto,
  toVersionSummaryDto,
  toVersionTrustDto,
  VersionDetailDto,
  VersionSummaryDto,
  VersionTrustDto,
} from './registry.dto';
import { RegistryService } from './registry.service';

const FAMILY_PARAM = {
  name: 'family',
  example: 'xgboost',
  description: 'Model family: linear, xgboost, xgboost-log, xgboost-blend',
};

/** The models, for everyone: what prices requests, how good it is, where it came from. */
@ApiTags('models')
@Controller('v1/models')
export class RegistryController {
  constructor(private readonly registry: RegistryService) {}

  @Get()
  @ApiOperation({
    summary: 'Model families, their champions and the default model',
    description: 'Show "model of <createdAt>, typical error $<metrics.mae>" from defaultModel.',
  })
  @ApiOkResponse({ type: ModelsOverviewDto })
  async overview(): Promise<ModelsOverviewDto> {
    const [families, defaultModel] = await Promise.all([
      this.registry.listFamilies(),
      this.registry.defaultChampion(),
    ]);
    return {
      defaultModel: defaultModel ? toVersionSummaryDto(defaultModel) : null,
      families: families.map(toFamilyDto),
    };
  }

  @Get('ledger')
  @ApiOperation({
    summary: 'Every champion move: promotions, manual promotions, rollbacks (newest first)',
  })
  @ApiOkResponse({ type: [LedgerEntryDto] })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: `family` names no model family' })
  async ledger(@Query() query: LedgerQueryDto): Promise<LedgerEntryDto[]> {
    return (await this.registry.ledger(query.family)).map(toLedgerEntryDto);
  }

  @Get(':family/versions')
  @ApiOperation({ summary: "A family's versions with their holdout metrics (newest first)" })
  @ApiParam(FAMILY_PARAM)
  @ApiOkResponse({ type: [VersionSummaryDto] })
  @ApiNotFoundResponse({ description: 'Unknown family' })
  async versions(@Param('family') family: string): Promise<VersionSummaryDto[]> {
    return (await this.registry.versionsOf(family)).map(toVersionSummaryDto);
  }

  @Get(':family/compare')
  @ApiOperation({
    summary:
      'Compare two versions of a family: metric deltas, changed parameters, same data or not',
  })
  @ApiParam(FAMILY_PARAM)
  @ApiOkResponse({ type: CompareDto })
  @ApiNotFoundResponse({ description: 'Unknown family or version' })
  async compare(
    @Param('family') family: string,
    @Query() query: CompareQueryDto,
  ): Promise<CompareDto> {
    const [a, b] = await Promise.all([
      this.registry.getVersion(family, query.a),
      this.registry.getVersion(family, query.b),
    ]);
    return compareVersions(a, b);
  }

  @Get(':family/versions/:version')
  @ApiOperation({
    summary: 'One version: metrics, parameters, lineage, split, search trials, artifact',
  })
  @ApiParam(FAMILY_PARAM)
  @ApiParam({ name: 'version', example: 1 })
  @ApiOkResponse({ type: VersionDetailDto })
  @ApiNotFoundResponse({ description: 'Unknown family or version' })
  async version(
    @Param('family') family: string,
    @Param('version', ParseIdPipe) version: number,
  ): Promise<VersionDetailDto> {
    return toVersionDetailDto(await this.registry.getVersion(family, version));
  }

  @Get(':family/versions/:version/trust')
  @ApiOperation({
    summary:
      'Why a version can be trusted: search history, holdout error by price band, feature importance, range calibration',
  })
  @ApiParam(FAMILY_PARAM)
  @ApiParam({ name: 'version', example: 1 })
  @ApiOkResponse({ type: VersionTrustDto })
  @ApiNotFoundResponse({ description: 'Unknown family or version' })
  async trust(
    @Param('family') family: string,
    @Param('version', ParseIdPipe) version: number,
  ): Promise<VersionTrustDto> {
    return toVersionTrustDto(await this.registry.getVersion(family, version));
  }
}

/** Moving champions by hand. */
@ApiTags('admin')
@AdminOnly()
@Controller('v1/admin/models')
export class RegistryAdminController {
  constructor(private readonly registry: RegistryService) {}

  @Post(':family/promote')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Make a version the champion of its family (recorded in the ledger)' })
  @ApiParam(FAMILY_PARAM)
  @ApiOkResponse({ type: LedgerEntryDto })
  @ApiNotFoundResponse({ description: 'Unknown family or version' })
  @ApiConflictResponse({ description: 'Already the champion' })
  async promote(
    @Param('family') family: string,
    @Body() body: PromoteDto,
  ): Promise<LedgerEntryDto> {
    await this.registry.promote(
      family,
      body.version,
      body.actor ?? 'admin',
      body.reason ?? 'manual promotion',
    );
    return this.latestEntry(family);
  }

  @Post(':family/rollback')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Roll a family back to its previous champion (recorded in the ledger)' })
  @ApiParam(FAMILY_PARAM)
  @ApiOkResponse({ type: LedgerEntryDto })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: unknown family' })
  @ApiConflictResponse({ description: 'No previous champion' })
  async rollback(
    @Param('family') family: string,
    @Body() body: RollbackDto,
  ): Promise<LedgerEntryDto> {
    await this.registry.rollback(family, body.actor ?? 'admin', body.reason ?? 'manual rollback');
    return this.latestEntry(family);
  }

  private async latestEntry(family: string): Promise<LedgerEntryDto> {
    const [entry] = await this.registry.ledger(family);
    return toLedgerEntryDto(entry);
  }
}
