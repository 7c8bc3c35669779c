#!/usr/bin/env node
// backstage/scripts/build-against-newest.js: type-checks the plugins'
// published sources (src/ without tests, config.d.ts, migrations/) against
// the NEWEST versions their dependency ranges take in, one copy of each, as
// an app created today may have them; the repository's app pins older ones
// (package.json resolutions), so `yarn tsc` alone does not show that a
// widened range (`^0.18.0 || ^1.0.0`) still builds.
//
// It needs the npm registry: a scratch project gets the plugins' runtime
// dependencies (npm resolves each range to its newest version), and tsc
// runs there with the repository's strictness. Run it after widening a
// range or when Backstage publishes new majors:
//
//     node scripts/build-against-newest.js
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const plugins = path.resolve(__dirname, '..', 'plugins');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'newest-'));

const deps = {};
const paths = {};
for (const dir of fs.readdirSync(plugins).sort()) {
  const from = path.join(plugins, dir);
  if (!fs.existsSync(path.join(from, 'package.json'))) continue;
  const pkg = JSON.parse(fs.readFileSync(path.join(from, 'package.json')));
  for (const [dep, range] of Object.entries(pkg.dependencies ?? {})) {
    if (!dep.startsWith('@central-config/')) deps[dep] = range;
  }
  for (const dep of ['@types/express']) {
    if (pkg.devDependencies?.[dep]) deps[dep] = pkg.devDependencies[dep];
  }
  paths[pkg.name] = [`plugins/${dir}/src/index.ts`];
  for (const item of ['src', 'config.d.ts', 'migrations']) {
    if (!fs.existsSync(path.join(from, item))) continue;
    fs.cpSync(path.join(from, item), path.join(scratch, 'plugins', dir, item), {
      recursive: true,
      filter: src =>
        !/\.test\.tsx?$|[\\/]__testUtils__|[\\/]setupTests\.ts$/.test(src),
    });
  }
}
Object.assign(deps, {
  react: '^18.0.2',
  'react-dom': '^18.0.2',
  'react-router-dom': '^6.30.2',
  '@types/react': '^18.0.0',
  '@types/react-dom': '^18.0.0',
  '@types/node': '^22.0.0',
  typescript: '~5.8.0',
});
fs.writeFileSync(
  path.join(scratch, 'package.json'),
  JSON.stringify({ name: 'newest', private: true, dependencies: deps }),
);
fs.writeFileSync(
  path.join(scratch, 'tsconfig.json'),
  JSON.stringify({
    include: ['plugins/*/src', 'plugins/*/config.d.ts', 'plugins/*/migrations'],
    compilerOptions: {
      ...require('@backstage/cli/config/tsconfig.json').compilerOptions,
      noEmit: true,
      emitDeclarationOnly: false,
      declaration: false,
      incremental: false,
      jsx: 'react-jsx',
      types: ['node'],
      baseUrl: '.',
      paths,
    },
  }),
);

try {
  const run = (cmd, args) =>
    execFileSync(cmd, args, { cwd: scratch, stdio: 'inherit' });
  run('npm', [
    'install',
    '--legacy-peer-deps',
    '--ignore-scripts',
    '--no-audit',
    '--no-fund',
  ]);
  const versions = Object.keys(deps)
    .filter(dep => dep.startsWith('@backstage/'))
    .map(dep => {
      const file = path.join(scratch, 'node_modules', dep, 'package.json');
      return `${dep}@${JSON.parse(fs.readFileSync(file)).version}`;
    });
  console.log(`building against ${versions.join(', ')}`);
  run(path.join(scratch, 'node_modules', '.bin', 'tsc'), ['-p', '.']);
  console.log(
    'the plugins build against the newest versions their ranges take in',
  );
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
