import { Controller, Get } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants.js';
import { InfrastructureRoute, NotAudited } from './not-audited.decorator';

const routeConfigOf = (handler: unknown) =>
  Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler as object) as unknown;

describe('@NotAudited()', () => {
  it('on a controller, marks every handler’s Fastify route config', () => {
    @NotAudited()
    @Controller('probe')
    class Probe {
      @Get('a')
      a(): void {}
      @Get('b')
      b(): void {}
    }
    expect(routeConfigOf(Probe.prototype.a)).toEqual({ notAudited: true });
    expect(routeConfigOf(Probe.prototype.b)).toEqual({ notAudited: true });
  });

  it('on a handler, marks that one only and keeps the route config it has', () => {
    class Api {
      @NotAudited()
      @RouteConfig({ rateLimit: 5 })
      @Get('quiet')
      quiet(): void {}
      @Get('loud')
      loud(): void {}
    }
    expect(routeConfigOf(Api.prototype.quiet)).toEqual({ rateLimit: 5, notAudited: true });
    expect(routeConfigOf(Api.prototype.loud)).toBeUndefined();
  });

  it('is part of @InfrastructureRoute()', () => {
    @InfrastructureRoute()
    class Health {
      @Get()
      live(): void {}
    }
    expect(routeConfigOf(Health.prototype.live)).toEqual({ notAudited: true });
  });
});
