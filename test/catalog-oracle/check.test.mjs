// Self-test of the catalog oracle: node --test check.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  checkEntities,
  checkEntity,
  DEFAULT_POLICY_NAMES,
  defaultPolicies,
  hasStructuredUrlPlaceholder,
  parseInput,
  standInUrlPlaceholders,
} from './check.mjs';

const CHECK = fileURLToPath(new URL('./check.mjs', import.meta.url));

function component(overrides = {}) {
  const { metadata = {}, spec = {}, ...rest } = overrides;
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    ...rest,
    metadata: { name: 'x', ...metadata },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-a', ...spec },
  };
}

async function rejects(entity, pattern) {
  const result = await checkEntity(entity);
  assert.equal(result.ok, false, `expected a rejection for ${JSON.stringify(entity)}`);
  assert.match(result.reason, pattern);
}

function run(stdin, args = []) {
  const r = spawnSync(process.execPath, [CHECK, ...args], { input: stdin, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('uses the catalog backend default policy list, in order', () => {
  assert.deepEqual(defaultPolicies().map(p => p.constructor.name), DEFAULT_POLICY_NAMES);
  assert.deepEqual(DEFAULT_POLICY_NAMES, [
    'SchemaValidEntityPolicy',
    'DefaultNamespaceEntityPolicy',
    'NoForeignRootFieldsEntityPolicy',
    'FieldFormatEntityPolicy',
  ]);
});

test('a valid Component passes, with the default namespace applied', async () => {
  const result = await checkEntity(component());
  assert.equal(result.ok, true, result.reason);
  assert.equal(result.ref, 'component:default/x');
  assert.equal(result.entity.metadata.namespace, 'default');
});

test('a Component without spec.owner is rejected', async () => {
  const entity = component();
  delete entity.spec.owner;
  await rejects(entity, /owner/);
});

test('a name of 64 characters is rejected, 63 passes', async () => {
  await rejects(component({ metadata: { name: 'a'.repeat(64) } }), /metadata\.name/);
  assert.equal((await checkEntity(component({ metadata: { name: 'a'.repeat(63) } }))).ok, true);
});

test('a tag with uppercase is rejected', async () => {
  await rejects(component({ metadata: { tags: ['Java'] } }), /tags\.0/);
  assert.equal((await checkEntity(component({ metadata: { tags: ['java', 'c++'] } }))).ok, true);
});

test('a dependsOn without kind is rejected, with kind it passes', async () => {
  await rejects(component({ spec: { dependsOn: ['db'] } }), /spec\.dependsOn.*missing or empty kind/);
  assert.equal((await checkEntity(component({ spec: { dependsOn: ['resource:db'] } }))).ok, true);
});

test('relation fields get the BuiltinKindsEntityProcessor default kinds', async () => {
  const ok = [
    component({ spec: { owner: 'group:other/team', system: 'sys', subcomponentOf: 'parent', providesApis: ['a'], consumesApis: ['b'] } }),
    { apiVersion: 'backstage.io/v1alpha1', kind: 'Group', metadata: { name: 'g' }, spec: { type: 'team', children: ['c'], parent: 'p', members: ['u'] } },
    { apiVersion: 'backstage.io/v1alpha1', kind: 'User', metadata: { name: 'u' }, spec: { memberOf: ['g'] } },
    { apiVersion: 'backstage.io/v1alpha1', kind: 'System', metadata: { name: 's' }, spec: { owner: 'g', domain: 'd' } },
    { apiVersion: 'backstage.io/v1alpha1', kind: 'Domain', metadata: { name: 'd' }, spec: { owner: 'g', subdomainOf: 'top' } },
  ];
  const { rejected } = await checkEntities(ok);
  assert.deepEqual(rejected, []);
  await rejects(
    { apiVersion: 'backstage.io/v1alpha1', kind: 'Resource', metadata: { name: 'r' }, spec: { type: 'db', owner: 'g', dependencyOf: ['x'] } },
    /spec\.dependencyOf/,
  );
  await rejects(component({ spec: { owner: 'group:/x' } }), /spec\.owner/);
});

test('unknown kinds and foreign root fields are rejected', async () => {
  await rejects({ apiVersion: 'backstage.io/v1alpha1', kind: 'Widget', metadata: { name: 'w' }, spec: {} }, /No processor recognized/);
  await rejects({ ...component(), status: {} }, /SchemaValidEntityPolicy|Unknown field/);
  await rejects({ kind: 'Component', metadata: { name: 'x' } }, /Malformed entity envelope/);
});

test('a scaffolder Template passes the envelope, policy and relation steps only', async () => {
  const template = {
    apiVersion: 'scaffolder.backstage.io/v1beta3',
    kind: 'Template',
    metadata: { name: 'create-go-service' },
    spec: { type: 'service', owner: 'platform', steps: [{ action: 'fetch:template' }] },
  };
  assert.equal((await checkEntity(template)).ok, true);
  await rejects({ ...template, metadata: { name: 'bad name' } }, /FieldFormatEntityPolicy/);
  await rejects({ ...template, spec: { ...template.spec, owner: 'group:' } }, /spec\.owner/);
  await rejects({ ...template, apiVersion: 'backstage.io/v1beta2' }, /No processor recognized/);
});

test('duplicate entity refs are rejected', async () => {
  const { rejected } = await checkEntities([component(), component({ metadata: { name: 'X' } })]);
  assert.equal(rejected.length, 1);
  assert.match(rejected[0].reason, /duplicate/);
});

test('--require-location needs the location annotations', async () => {
  const bare = await checkEntity(component(), { requireLocation: true });
  assert.equal(bare.ok, false);
  const annotated = await checkEntity(
    component({
      metadata: {
        annotations: {
          'backstage.io/managed-by-location': 'url:https://example.com/catalog-info.yaml',
          'backstage.io/managed-by-origin-location': 'url:https://example.com/catalog-info.yaml',
        },
      },
    }),
    { requireLocation: true },
  );
  assert.equal(annotated.ok, true, annotated.reason);
});

test('CLI: accepts {"entities":[...]} and plain arrays, exit 0', () => {
  let r = run(JSON.stringify({ entities: [component()] }));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, 'checked 1 entities, 0 rejected\n');
  r = run(JSON.stringify([component()]));
  assert.equal(r.code, 0, r.stdout + r.stderr);
});

test('CLI: one REJECT line per rejected entity and exit 1', () => {
  const noOwner = component({ metadata: { name: 'no-owner' } });
  delete noOwner.spec.owner;
  const r = run(JSON.stringify({ entities: [component(), noOwner, component({ metadata: { name: 'y', tags: ['Bad'] } })] }));
  assert.equal(r.code, 1);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 3, r.stdout);
  assert.match(lines[0], /^REJECT component:default\/no-owner: /);
  assert.match(lines[1], /^REJECT component:default\/y: /);
  assert.equal(lines[2], 'checked 3 entities, 2 rejected');
});

test('input parsing', () => {
  assert.throws(() => parseInput(''), /empty input/);
  assert.throws(() => parseInput('  \n'), /empty input/);
  assert.throws(() => parseInput('{"entities":'), /not JSON/);
  assert.throws(() => parseInput('{"items":[]}'), /must be/);
  assert.deepEqual(parseInput('{"entities":[1]}'), [1]);
  assert.deepEqual(parseInput('[1]'), [1]);
});

test('CLI: empty, unparseable or entity-less input exits 1', () => {
  assert.equal(run('').code, 1);
  assert.equal(run('{"entities":').code, 1);
  assert.equal(run('[]').code, 1);
  assert.equal(run('[]', ['--allow-empty']).code, 0);
});

test('placeholders of http(s) URLs left for Backstage are stood in before the policies and kind validators', async () => {
  const api = (definition, metadata = {}) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'API',
    metadata: { name: 'payments-api', ...metadata },
    spec: { type: 'openapi', lifecycle: 'production', owner: 'team-a', definition },
  });
  const url = 'https://github.com/acme/payments/blob/main/openapi.yaml';
  assert.equal((await checkEntity(api({ $text: url }))).ok, true);
  assert.equal((await checkEntity(api({ $text: 'HTTP://wiki.example.com/api.yaml' }))).ok, true);
  assert.equal((await checkEntity(api('inline', { description: { $text: url } }))).ok, true);
  // A $json or $yaml of a URL can give any value: such an entity is not
  // checked, and the CLI says so.
  const { checked, unchecked } = await checkEntities([api({ $json: 'https://example.com/api.json' }), api('inline')]);
  assert.equal(checked, 1);
  assert.deepEqual(unchecked, ['api:default/payments-api']);
  // Not a URL: central-config should have read it; it is left, and fails.
  await rejects(api({ $text: './openapi.yaml' }), /definition/);
  await rejects(api({ $text: 'ftp://example.com/api.yaml' }), /definition/);
  // A mapping of more keys is no placeholder; the input is not changed.
  const input = { a: [{ $yaml: url }], b: { $text: url, other: 1 }, c: 'x' };
  assert.deepEqual(standInUrlPlaceholders(input), { a: [{}], b: { $text: url, other: 1 }, c: 'x' });
  assert.equal(hasStructuredUrlPlaceholder(input), true);
  assert.equal(hasStructuredUrlPlaceholder(api({ $text: url })), false);
  assert.deepEqual(input.a, [{ $yaml: url }]);
});
