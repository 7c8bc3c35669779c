import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';

/**
 * GET /central-config/entities without since: every published entity.
 *
 * @public
 */
export type FullEntityList = {
  kind: 'full';
  generation: number;
  entities: Entity[];
};

/**
 * GET /central-config/entities?since=S: what changed after generation S.
 * Removals are entity refs in the catalog's own form (all lower case).
 *
 * @public
 */
export type DeltaEntityList = {
  kind: 'delta';
  generation: number;
  since: number;
  upserts: Entity[];
  removals: string[];
};

/** Thrown when a 200 response does not have the documented shape. */
export class MalformedResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedResponseError';
  }
}

/**
 * Checks a 200 body of GET /central-config/entities against the engine's
 * contract (FullEntityList or DeltaEntityList in its OpenAPI document).
 * Anything else is rejected whole, so a broken response can never be read
 * as "these are all the entities there are".
 */
export function parseEntitiesResponse(
  body: unknown,
): FullEntityList | DeltaEntityList {
  if (!isObject(body)) {
    throw new MalformedResponseError('the body is not a JSON object');
  }
  const generation = readGeneration(body, 'generation');
  if (body.kind === 'full') {
    return {
      kind: 'full',
      generation,
      entities: readEntities(body, 'entities'),
    };
  }
  if (body.kind === 'delta') {
    const since = readGeneration(body, 'since');
    if (since > generation) {
      throw new MalformedResponseError(
        `since (${since}) is after generation (${generation})`,
      );
    }
    return {
      kind: 'delta',
      generation,
      since,
      upserts: readEntities(body, 'upserts'),
      removals: readRemovals(body, 'removals'),
    };
  }
  throw new MalformedResponseError(
    `kind is ${JSON.stringify(body.kind)}, expected "full" or "delta"`,
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readGeneration(body: Record<string, unknown>, key: string): number {
  const v = body[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new MalformedResponseError(
      `${key} is ${JSON.stringify(v)}, expected a non-negative integer`,
    );
  }
  return v;
}

function readArray(body: Record<string, unknown>, key: string): unknown[] {
  const v = body[key];
  if (!Array.isArray(v)) {
    throw new MalformedResponseError(`${key} is not an array`);
  }
  return v;
}

function readEntities(body: Record<string, unknown>, key: string): Entity[] {
  return readArray(body, key).map((e, i) => {
    const where = `${key}[${i}]`;
    if (!isObject(e)) {
      throw new MalformedResponseError(`${where} is not an object`);
    }
    for (const field of ['apiVersion', 'kind'] as const) {
      if (typeof e[field] !== 'string' || e[field] === '') {
        throw new MalformedResponseError(
          `${where}.${field} is not a non-empty string`,
        );
      }
    }
    const metadata = e.metadata;
    if (!isObject(metadata)) {
      throw new MalformedResponseError(`${where}.metadata is not an object`);
    }
    if (typeof metadata.name !== 'string' || metadata.name === '') {
      throw new MalformedResponseError(
        `${where}.metadata.name is not a non-empty string`,
      );
    }
    if (metadata.annotations !== undefined && !isObject(metadata.annotations)) {
      throw new MalformedResponseError(
        `${where}.metadata.annotations is not an object`,
      );
    }
    return e as unknown as Entity;
  });
}

// The engine writes a removal's kind and namespace in lower case and its
// name as written; the catalog keys entities by the all lower case form.
function readRemovals(body: Record<string, unknown>, key: string): string[] {
  return readArray(body, key).map((r, i) => {
    if (typeof r !== 'string') {
      throw new MalformedResponseError(`${key}[${i}] is not a string`);
    }
    if (!r.includes(':') || !r.includes('/')) {
      throw new MalformedResponseError(
        `${key}[${i}] ${JSON.stringify(
          r,
        )} is not a full ref (kind:namespace/name)`,
      );
    }
    try {
      return stringifyEntityRef(parseEntityRef(r));
    } catch (error) {
      throw new MalformedResponseError(
        `${key}[${i}] ${JSON.stringify(r)} is not an entity ref: ${
          (error as Error).message
        }`,
      );
    }
  });
}
