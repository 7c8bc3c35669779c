#!/usr/bin/env node
// backstage/scripts/check-packages.js: the publishable plugin packages stay
// publishable. Fails, naming the package and the field, when
//
//   - `backstage-cli repo fix --publish` would change a package.json
//     (pluginPackages, repository directory, exports, sideEffects);
//   - a package under plugins/ lacks its publish metadata (scoped name,
//     license, files, publishConfig.access, repository.directory of its
//     folder, keywords) or is private;
//   - an @backstage/* dependency range does not accept that package's
//     version in every Backstage release of plugins/backstage-releases.json,
//     or a README does not name those releases;
//   - central-config-common's generated API types are not what
//     internal/httpapi/openapi.yaml gives (yarn generate --check).
//
//     node scripts/check-packages.js   (check.sh runs it)
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const semver = require('semver');

const app = path.resolve(__dirname, '..');
const plugins = path.join(app, 'plugins');
const yarn = path.join(app, 'scripts', 'yarn');
const problems = [];

function run(what, cmd, args, cwd) {
  try {
    execFileSync(cmd, args, { cwd, stdio: 'pipe', encoding: 'utf8' });
  } catch (error) {
    problems.push(`${what}:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
  }
}

run(
  'backstage-cli repo fix --publish would change package.json files (run it in backstage/ and commit the result)',
  yarn,
  ['backstage-cli', 'repo', 'fix', '--publish', '--check'],
  app,
);

const { releases } = JSON.parse(
  fs.readFileSync(path.join(plugins, 'backstage-releases.json'), 'utf8'),
);
const lines = Object.keys(releases).map(
  v => `${semver.major(v)}.${semver.minor(v)}`,
);
const supported = `Backstage ${[...lines].reverse().join(' and ')}`;

for (const dir of fs.readdirSync(plugins).sort()) {
  const file = path.join(plugins, dir, 'package.json');
  if (!fs.existsSync(file)) continue;
  const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
  const at = `plugins/${dir}/package.json`;
  const need = (ok, what) => ok || problems.push(`${at}: ${what}`);
  need(
    pkg.name === `@central-config/backstage-plugin-${dir}`,
    `name must be @central-config/backstage-plugin-${dir}`,
  );
  need(!pkg.private, 'must not be private');
  need(pkg.license === 'Apache-2.0', 'license must be Apache-2.0');
  need(
    pkg.publishConfig?.access === 'public',
    'publishConfig.access must be public',
  );
  need(
    Array.isArray(pkg.files) && pkg.files.includes('dist'),
    'files must list dist',
  );
  need(
    !pkg.configSchema || pkg.files.includes(pkg.configSchema),
    `files must list the configSchema ${pkg.configSchema}`,
  );
  need(
    pkg.repository?.directory === `backstage/plugins/${dir}`,
    `repository.directory must be backstage/plugins/${dir}`,
  );
  need(
    pkg.keywords?.includes('backstage') &&
      pkg.keywords?.includes('backstage-plugin'),
    'keywords must include backstage and backstage-plugin',
  );
  for (const [dep, range] of Object.entries({
    ...pkg.dependencies,
    ...pkg.peerDependencies,
  })) {
    if (!dep.startsWith('@backstage/')) continue;
    for (const [release, versions] of Object.entries(releases)) {
      const version = versions[dep];
      if (!version) {
        problems.push(
          `${at}: ${dep} has no version for Backstage ${release} in plugins/backstage-releases.json`,
        );
      } else if (!semver.satisfies(version, range)) {
        problems.push(
          `${at}: ${dep} ${range} refuses ${version}, its version in Backstage ${release}`,
        );
      }
    }
  }
  const readme = path.join(plugins, dir, 'README.md');
  const text = fs.existsSync(readme) ? fs.readFileSync(readme, 'utf8') : '';
  need(
    text.replace(/\*\*/g, '').includes(supported),
    `README.md must say which releases it supports ("${supported}")`,
  );
}

run(
  'central-config-common: src/generated/openapi.ts is out of date',
  yarn,
  ['generate', '--check'],
  path.join(plugins, 'central-config-common'),
);

if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(
  `packages: publish metadata, repo fix --publish, ${supported} ranges and the generated API types are in order`,
);
