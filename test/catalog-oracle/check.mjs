#!/usr/bin/env node
// Catalog oracle: validates entities exactly the way a Backstage catalog
// backend (default CatalogBuilder / catalog plugin setup) does when an entity
// provider applies them, using the real @backstage/catalog-model code.
//
// Usage: node check.mjs [--require-location] [--allow-empty] < entities.json
//   stdin: {"entities":[...]} or a plain JSON array of entities.
//   stdout: "REJECT <kind>:<namespace>/<name>: <reason>" per rejected entity,
//           then "checked N entities, M rejected".
//   exit:  0 all accepted; 1 any rejected, or input empty/unparseable/no
//          entities (unless --allow-empty); 2 bad usage.
//
// The steps, in the catalog's order (first failure wins, as in the catalog):
//  1. envelope   entityEnvelopeSchemaValidator(): EntityProviderConnection
//                .applyMutation() checks every entity with it (and one bad
//                entity fails the whole mutation there); the processing
//                orchestrator checks it again before processing.
//  2. location   only with --require-location: the orchestrator needs the
//                backstage.io/managed-by-location and
//                backstage.io/managed-by-origin-location annotations (a
//                provider must set them) and parses them with parseLocationRef.
//  2b. stand-ins placeholders of absolute http(s) URLs, which central-config
//                leaves for Backstage's PlaceholderProcessor (it runs in the
//                orchestrator's preprocessing, before the policies): see
//                standInUrlPlaceholders.
//  3. policy     EntityPolicies.allOf([SchemaValidEntityPolicy,
//                DefaultNamespaceEntityPolicy, NoForeignRootFieldsEntityPolicy,
//                FieldFormatEntityPolicy(makeValidator())]): the catalog
//                backend's default list, in its order.
//  4. entity     entitySchemaValidator() on the policy output ("Entity envelope
//                failed validation after preprocessing").
//  5. kind       BuiltinKindsEntityProcessor.validateEntityKind(): the kind
//                validators in its order; the first to return true accepts,
//                one that throws rejects, none accepting rejects. A Template
//                (scaffolder.backstage.io/v1beta3) is skipped here: see
//                isScaffolderTemplate.
//  6. relations  BuiltinKindsEntityProcessor.postProcessEntity(): every
//                relation-producing spec field is parsed with parseEntityRef()
//                and the same default kind / namespace context.
//  7. duplicates two input entities with the same entity ref (the catalog keys
//                entities by their lowercased ref, so only one would survive).

import { realpathSync } from 'node:fs';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  DEFAULT_NAMESPACE,
  DefaultNamespaceEntityPolicy,
  EntityPolicies,
  FieldFormatEntityPolicy,
  NoForeignRootFieldsEntityPolicy,
  SchemaValidEntityPolicy,
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  domainEntityV1alpha1Validator,
  entityEnvelopeSchemaValidator,
  entitySchemaValidator,
  getCompoundEntityRef,
  groupEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  makeValidator,
  parseEntityRef,
  parseLocationRef,
  resourceEntityV1alpha1Validator,
  stringifyEntityRef,
  systemEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
} from '@backstage/catalog-model';

/** The catalog backend's default entity policies, in its order. */
export const DEFAULT_POLICY_NAMES = [
  'SchemaValidEntityPolicy',
  'DefaultNamespaceEntityPolicy',
  'NoForeignRootFieldsEntityPolicy',
  'FieldFormatEntityPolicy',
];

/** Fresh instances of the catalog backend's default entity policies. */
export function defaultPolicies() {
  return [
    new SchemaValidEntityPolicy(),
    new DefaultNamespaceEntityPolicy(),
    new NoForeignRootFieldsEntityPolicy(),
    new FieldFormatEntityPolicy(makeValidator({})),
  ];
}

// Same order as BuiltinKindsEntityProcessor.validators.
const KIND_VALIDATORS = [
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  resourceEntityV1alpha1Validator,
  groupEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
  systemEntityV1alpha1Validator,
  domainEntityV1alpha1Validator,
];

// BuiltinKindsEntityProcessor.postProcessEntity: kind -> [spec field, default
// kind (undefined: the ref must name its kind)].
export const RELATION_FIELDS = {
  Component: [
    ['owner', 'Group'],
    ['subcomponentOf', 'Component'],
    ['providesApis', 'API'],
    ['consumesApis', 'API'],
    ['dependsOn', undefined],
    ['dependencyOf', undefined],
    ['system', 'System'],
  ],
  API: [
    ['owner', 'Group'],
    ['system', 'System'],
  ],
  Resource: [
    ['owner', 'Group'],
    ['dependsOn', undefined],
    ['dependencyOf', undefined],
    ['system', 'System'],
  ],
  User: [['memberOf', 'Group']],
  Group: [
    ['parent', 'Group'],
    ['children', 'Group'],
    ['members', 'User'],
  ],
  System: [
    ['owner', 'Group'],
    ['domain', 'Domain'],
  ],
  Domain: [
    ['owner', 'Group'],
    ['subdomainOf', 'Domain'],
  ],
  // The scaffolder's catalog module (ScaffolderEntitiesProcessor).
  Template: [['owner', 'Group']],
};

// A Template is the scaffolder's kind, not a catalog-model built-in: a
// Backstage with the scaffolder validates it with the scaffolder's catalog
// module (templateEntityV1beta3Validator of @backstage/plugin-scaffolder-common),
// which this oracle does not install. It still goes through every other
// step; the engine checks it against the scaffolder's v1beta3 schema
// (internal/catalog/kinds.go). Any other kind that no validator here
// recognises is rejected, as a catalog without its plugin would.
function isScaffolderTemplate(entity) {
  return entity.apiVersion === 'scaffolder.backstage.io/v1beta3' && entity.kind === 'Template';
}

// central-config leaves a $text/$json/$yaml of an absolute http(s) URL in
// the entity, as written, for Backstage's PlaceholderProcessor, which reads
// it with the backend's integrations during preprocessing, before the
// policies and kind validators run. The oracle reads no URL: it puts a
// string in place of a $text, as the engine does when it validates (standIn
// in internal/mapping/placeholder.go). A $json or $yaml of a URL can give
// any value, which neither the engine nor the oracle can know: the engine
// does not check that position, and the oracle does not check such an
// entity at all (see hasStructuredUrlPlaceholder; the CLI counts them).
// Anything else that looks like a placeholder (a relative path the engine
// should have read) stays, and fails where Backstage would.
const URL_TARGET = /^https?:\/\/[^/]/i;

/** Whether value holds a $json or $yaml placeholder of an http(s) URL. */
export function hasStructuredUrlPlaceholder(value) {
  if (Array.isArray(value)) return value.some(hasStructuredUrlPlaceholder);
  if (!value || typeof value !== 'object') return false;
  const keys = Object.keys(value);
  if (keys.length === 1 && ['$json', '$yaml'].includes(keys[0])) {
    const target = value[keys[0]];
    if (typeof target === 'string' && URL_TARGET.test(target)) return true;
  }
  return Object.values(value).some(hasStructuredUrlPlaceholder);
}

export function standInUrlPlaceholders(value) {
  if (Array.isArray(value)) return value.map(standInUrlPlaceholders);
  if (!value || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && ['$text', '$json', '$yaml'].includes(keys[0])) {
    const target = value[keys[0]];
    if (typeof target === 'string' && URL_TARGET.test(target)) {
      return keys[0] === '$text' ? `stand-in for ${target}` : {};
    }
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, standInUrlPlaceholders(v)]));
}

const validateEnvelope = entityEnvelopeSchemaValidator();
const validateEntity = entitySchemaValidator();

class Rejection extends Error {}

function msg(e) {
  return e instanceof Error ? e.message : String(e);
}

// Wraps a policy so a failure names it; EntityPolicies.allOf semantics
// (sequential, each gets the previous output, undefined output is an error)
// are kept by combining the wrapped policies with EntityPolicies.allOf.
function named(policy) {
  const name = policy.constructor.name;
  return {
    async enforce(entity) {
      try {
        return await policy.enforce(entity);
      } catch (e) {
        throw new Rejection(`policy ${name}: ${msg(e)}`);
      }
    },
  };
}

function refOf(entity, index) {
  if (entity && typeof entity === 'object' && !Array.isArray(entity)) {
    const kind = typeof entity.kind === 'string' && entity.kind ? entity.kind : '?';
    const md = entity.metadata && typeof entity.metadata === 'object' ? entity.metadata : {};
    const ns = typeof md.namespace === 'string' && md.namespace ? md.namespace : DEFAULT_NAMESPACE;
    const name = typeof md.name === 'string' && md.name ? md.name : '?';
    if (kind !== '?' && name !== '?') {
      return `${kind}:${ns}/${name}`.toLowerCase();
    }
    return `${kind}:${ns}/${name} (entities[${index}])`;
  }
  return `entities[${index}]`;
}

/**
 * Checks one entity. Returns { ok: true, ref, entity } with the entity as the
 * catalog would store it (before stitching), or { ok: false, reason }.
 */
export async function checkEntity(input, options = {}) {
  const policy = EntityPolicies.allOf(defaultPolicies().map(named));
  // The catalog works on its own (JSON) copy; policies may mutate.
  let entity;
  try {
    entity = structuredClone(input);
  } catch (e) {
    return { ok: false, reason: `not JSON data: ${msg(e)}` };
  }
  try {
    // 1. envelope (provider connection + orchestrator)
    try {
      validateEnvelope(entity);
    } catch (e) {
      throw new Rejection(`Malformed entity envelope, ${msg(e)}`);
    }
    const entityRef = stringifyEntityRef(entity);

    // 2. location annotations (opt-in)
    if (options.requireLocation) {
      const annotations = entity.metadata.annotations ?? {};
      for (const [key, what] of [
        [ANNOTATION_LOCATION, 'a location'],
        [ANNOTATION_ORIGIN_LOCATION, 'an origin location'],
      ]) {
        const ref = annotations[key];
        if (!ref) {
          throw new Rejection(`Entity '${entityRef}' does not have ${what} (annotation ${key})`);
        }
        try {
          parseLocationRef(ref);
        } catch (e) {
          throw new Rejection(`annotation ${key}: ${msg(e)}`);
        }
      }
    }

    // 2b. placeholders of URLs, as Backstage's preprocessing resolves them
    entity = standInUrlPlaceholders(entity);

    // 3. policies
    let enforced;
    try {
      enforced = await policy.enforce(entity);
    } catch (e) {
      if (e instanceof Rejection) throw e;
      throw new Rejection(`Policy check failed, ${msg(e)}`);
    }
    if (!enforced) {
      throw new Rejection('Policy unexpectedly returned no data');
    }
    entity = enforced;

    // 4. whole-entity schema, and the ref must not have changed
    if (stringifyEntityRef(entity) !== entityRef) {
      throw new Rejection('Fatal: The entity kind, namespace, or name changed during processing');
    }
    try {
      validateEntity(entity);
    } catch (e) {
      throw new Rejection(`Entity envelope failed validation after preprocessing, ${msg(e)}`);
    }

    // 5. kind validators
    let foundKind = isScaffolderTemplate(entity);
    for (const validator of foundKind ? [] : KIND_VALIDATORS) {
      let result;
      try {
        result = await validator.check(entity);
      } catch (e) {
        throw new Rejection(`kind ${entity.kind} (${entity.apiVersion}) invalid: ${msg(e)}`);
      }
      if (result) {
        foundKind = true;
        break;
      }
    }
    if (!foundKind) {
      throw new Rejection(
        `No processor recognized the entity as valid, possibly caused by a foreign kind or apiVersion (kind ${JSON.stringify(entity.kind)}, apiVersion ${JSON.stringify(entity.apiVersion)})`,
      );
    }

    // 6. relations
    const selfRef = getCompoundEntityRef(entity);
    for (const [field, defaultKind] of RELATION_FIELDS[entity.kind] ?? []) {
      const targets = entity.spec?.[field];
      if (!targets) continue;
      for (const target of [targets].flat()) {
        try {
          parseEntityRef(target, { defaultKind, defaultNamespace: selfRef.namespace });
        } catch (e) {
          throw new Rejection(`spec.${field}: ${msg(e)}`);
        }
      }
    }
    return { ok: true, ref: entityRef, entity };
  } catch (e) {
    if (e instanceof Rejection) return { ok: false, reason: e.message };
    return { ok: false, reason: `unexpected error: ${e?.stack ?? msg(e)}` };
  }
}

/**
 * Checks a list of entities. Returns { checked, rejected: [{ index, ref, reason }], unchecked: [ref] }:
 * entities holding a $json/$yaml of a URL are not checked (see
 * hasStructuredUrlPlaceholder).
 */
export async function checkEntities(entities, options = {}) {
  const rejected = [];
  const unchecked = [];
  const seen = new Map();
  for (let i = 0; i < entities.length; i++) {
    if (hasStructuredUrlPlaceholder(entities[i])) {
      unchecked.push(refOf(entities[i], i));
      continue;
    }
    const result = await checkEntity(entities[i], options);
    if (!result.ok) {
      rejected.push({ index: i, ref: refOf(entities[i], i), reason: result.reason });
      continue;
    }
    // 7. duplicates
    if (seen.has(result.ref)) {
      rejected.push({
        index: i,
        ref: result.ref,
        reason: `duplicate entity ref, same as entities[${seen.get(result.ref)}] (the catalog keeps only one)`,
      });
      continue;
    }
    seen.set(result.ref, i);
  }
  return { checked: entities.length - unchecked.length, rejected, unchecked };
}

/** Parses the oracle's input text: {"entities":[...]} or [...]. Throws on bad input. */
export function parseInput(text) {
  if (!text || !text.trim()) {
    throw new Error('empty input');
  }
  let data;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`input is not JSON: ${msg(e)}`);
  }
  if (Array.isArray(data)) return data;
  if (data && typeof data === 'object' && Array.isArray(data.entities)) return data.entities;
  throw new Error('input must be {"entities":[...]} or a JSON array of entities');
}

const USAGE = `usage: check.mjs [--require-location] [--allow-empty] < entities.json
  stdin: {"entities":[...]} or a JSON array of Backstage entities
  --require-location  also require the backstage.io/managed-by-location and
                      backstage.io/managed-by-origin-location annotations, which
                      the catalog's processing needs on provider-applied entities
  --allow-empty       exit 0 on an input with no entities`;

export async function main(argv, stdinText, out = console.log, err = console.error) {
  const options = {};
  for (const arg of argv) {
    if (arg === '--require-location') options.requireLocation = true;
    else if (arg === '--allow-empty') options.allowEmpty = true;
    else if (arg === '-h' || arg === '--help') {
      out(USAGE);
      return 0;
    } else {
      err(`check.mjs: unknown argument ${arg}\n${USAGE}`);
      return 2;
    }
  }
  let entities;
  try {
    entities = parseInput(stdinText);
  } catch (e) {
    err(`check.mjs: ${msg(e)}`);
    out('checked 0 entities, 0 rejected');
    return 1;
  }
  const { checked, rejected, unchecked } = await checkEntities(entities, options);
  for (const ref of unchecked) {
    out(`UNCHECKED ${ref}: holds a $json/$yaml of a URL, which only Backstage reads`);
  }
  for (const r of rejected) {
    // FieldFormatEntityPolicy appends a fixed link to every message: drop it.
    const reason = r.reason
      .replace(/ To learn more about catalog file format, visit: \S+$/, '')
      .replace(/\s*\n\s*/g, ' ');
    out(`REJECT ${r.ref}: ${reason}`);
  }
  out(`checked ${checked} entities, ${rejected.length} rejected`);
  if (checked === 0 && !options.allowEmpty) {
    err('check.mjs: no entities in input (use --allow-empty to accept that)');
    return 1;
  }
  return rejected.length ? 1 : 0;
}

function isMain() {
  try {
    return Boolean(process.argv[1]) && realpathSync(process.argv[1]) === import.meta.filename;
  } catch {
    return false;
  }
}

if (isMain()) {
  let text = '';
  try {
    process.stdin.setEncoding('utf8');
    for await (const chunk of process.stdin) text += chunk;
  } catch (e) {
    console.error(`check.mjs: cannot read stdin: ${msg(e)}`);
    process.exit(1);
  }
  process.exitCode = await main(process.argv.slice(2), text);
}
