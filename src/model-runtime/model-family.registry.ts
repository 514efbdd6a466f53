import { Inject, Injectable } from '@nestjs/common';
import { ModelFamily, UnknownModelFamilyError } from './model-family';

/** Injection token of the array of every registered family. */
export const MODEL_FAMILIES = Symbol('MODEL_FAMILIES');

/** The model families the service knows, by name. */
@Injectable()
export class ModelFamilyRegistry {
  private readonly byName = new Map<string, ModelFamily>();

  constructor(@Inject(MODEL_FAMILIES) families: readonly ModelFamily[]) {
    for (const family of families) {
      if (this.byName.has(family.name))
        throw new Error(`Two model families are named "${family.name}"`);
      this.byName.set(family.name, family);
    }
  }

  /** Throws UnknownModelFamilyError for a name nobody registered. */
  get(name: string): ModelFamily {
    const family = this.byName.get(name);
    if (!family) throw new UnknownModelFamilyError(name, this.names());
    return family;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** In registration order. */
  list(): readonly ModelFamily[] {
    return [...this.byName.values()];
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}
