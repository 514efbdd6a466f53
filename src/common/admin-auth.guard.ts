import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  Injectable,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiResponse } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { timingSafeEqual, createHash } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { DomainError, ErrorCode } from './domain-error';

/**
 * Admin endpoints need `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time.
 * With no token configured they answer 503 "admin disabled".
 */
@Injectable()
class AdminAuthGuard implements CanActivate {
  private readonly expected?: Buffer;

  constructor(config: AppConfig) {
    // Hash both sides so the comparison is constant-time whatever the lengths.
    if (config.ADMIN_TOKEN)
      this.expected = createHash('sha256').update(config.ADMIN_TOKEN).digest();
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected)
      throw new DomainError(
        ErrorCode.AdminDisabled,
        'Admin endpoints are disabled: no ADMIN_TOKEN is configured',
      );
    const req = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>();
    const header = typeof req.headers.authorization === 'string' ? req.headers.authorization : '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match)
      throw new DomainError(
        ErrorCode.Unauthorized,
        'Missing bearer token: send Authorization: Bearer <ADMIN_TOKEN>',
      );
    const given = createHash('sha256').update(match[1].trim()).digest();
    if (!timingSafeEqual(given, this.expected))
      throw new DomainError(ErrorCode.Unauthorized, 'Invalid admin token');
    return true;
  }
}

/**
 * Marks a controller or route as admin-only, in code and in the OpenAPI document. Never throttled:
 * operators must get through when the public API is saturated.
 */
export function AdminOnly() {
  return applyDecorators(
    UseGuards(AdminAuthGuard),
    SkipThrottle(),
    ApiBearerAuth('admin'),
    ApiResponse({ status: 401, description: 'Missing or invalid bearer token' }),
    ApiResponse({ status: 503, description: 'Admin disabled: no ADMIN_TOKEN configured' }),
  );
}

/**
 * Staff endpoints (the store's outcomes) take `Authorization: Bearer <STAFF_TOKEN>` or the admin
 * token, compared in constant time. With neither configured they answer 503.
 */
@Injectable()
class StaffAuthGuard implements CanActivate {
  private readonly accepted: Buffer[];

  constructor(config: AppConfig) {
    this.accepted = [config.ADMIN_TOKEN, config.STAFF_TOKEN]
      .filter((token): token is string => Boolean(token))
      .map((token) => createHash('sha256').update(token).digest());
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.accepted.length === 0)
      throw new DomainError(
        ErrorCode.AdminDisabled,
        'Staff endpoints are disabled: neither STAFF_TOKEN nor ADMIN_TOKEN is configured',
      );
    const req = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>();
    const header = typeof req.headers.authorization === 'string' ? req.headers.authorization : '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match)
      throw new DomainError(
        ErrorCode.Unauthorized,
        'Missing bearer token: send Authorization: Bearer <STAFF_TOKEN or ADMIN_TOKEN>',
      );
    const given = createHash('sha256').update(match[1].trim()).digest();
    // Every token compared, whichever matches: the time does not say which one it was.
    const matches = this.accepted.map((expected) => timingSafeEqual(given, expected));
    if (!matches.includes(true)) throw new DomainError(ErrorCode.Unauthorized, 'Invalid token');
    return true;
  }
}

/** Marks a controller or route as staff-only (STAFF_TOKEN or ADMIN_TOKEN), in code and in OpenAPI. */
export function StaffOnly() {
  return applyDecorators(
    UseGuards(StaffAuthGuard),
    ApiBearerAuth('staff'),
    ApiResponse({ status: 401, description: 'Missing or invalid bearer token' }),
    ApiResponse({
      status: 503,
      description: 'Staff endpoints disabled: neither STAFF_TOKEN nor ADMIN_TOKEN configured',
    }),
  );
}
