#!/usr/bin/env node
// backstage/scripts/check-packages.js: the publishable plugin packages stay
// publishable. Fails, naming the package and the field, when
//
//   - `backstage-cli repo fix --publish` would change a package.json
//     (pluginPackages, repository directory, exports, sideEffects);
//   - a package under plugins/ lacks its publish metadata (scoped name,
//     license, files, publishConfig.access, repository.directory of its
//     folder, keywords) or is private;
//   - `files` leaves out something the package needs at runtime: a folder
//     or file of RUNTIME below that exists, the configSchema, or the
//     target of publishConfig's main/module/types;
//   - a runtime dependency that no published source file imports (src/
//     without tests, migrations/);
//   - an @backstage/* dependency range does not accept that package's
//     version in every Backstage release of plugins/backstage-releases.json,
//     nor every version a new app of that release resolves today
//     (freshApps, written by scripts/fresh-app-versions.js), or a README
//     does not name those releases;
//   - central-config-common's generated API types are not what
//     internal/httpapi/openapi.yaml gives (yarn generate --check).
//
//     node scripts/check-packages.js   (check.sh runs it)
//     node scripts/check-packages.js --self-test   (so does check.sh: each
//         check finds a broken copy of a package)
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const semver = require('semver');

const app = path.resolve(__dirname, '..');
const plugins = path.join(app, 'plugins');
const yarn = path.join(app, 'scripts', 'yarn');

// What a plugin reads at runtime besides dist/, when it has it: the
// catalog module's database migrations, a plugin's config schema.
const RUNTIME = ['migrations', 'config.d.ts'];

// Whether `files` (package.json) takes in the path `target` of the package.
function listed(files, target) {
  const rel = path.posix.normalize(target).replace(/^\.\//, '');
  return files.some(f => {
    const entry = path.posix.normalize(f).replace(/^\.\/|\/$/g, '');
    return rel === entry || rel.startsWith(`${entry}/`);
  });
}

// The files of a package that are published and run: src/ without its
// tests and test helpers, and the migrations.
function runtimeSources(dir) {
  const found = [];
  const walk = d => {
    if (!fs.existsSync(d)) return;
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '__testUtils__') walk(p);
      } else if (
        /\.(ts|tsx|js|mjs|cjs)$/.test(entry.name) &&
        !/\.test\.|^setupTests\./.test(entry.name)
      ) {
        found.push(p);
      }
    }
  };
  walk(path.join(dir, 'src'));
  walk(path.join(dir, 'migrations'));
  return found;
}

// Whether `source` imports `dep` (or a subpath of it).
function imports(source, dep) {
  const quoted = dep.replace(/[/.]/g, '\\$&');
  return new RegExp(
    `(from\\s+|import\\s*\\(\\s*|require\\(\\s*|import\\s+)['"]${quoted}(/[^'"]*)?['"]`,
  ).test(source);
}

function run(problems, what, cmd, args, cwd) {
  try {
    execFileSync(cmd, args, { cwd, stdio: 'pipe', encoding: 'utf8' });
  } catch (error) {
    problems.push(`${what}:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
  }
}

// The problems of the packages of the plugins folder `root`, as lines.
function checkPlugins(root) {
  const problems = [];
  const { releases, freshApps } = JSON.parse(
    fs.readFileSync(path.join(root, 'backstage-releases.json'), 'utf8'),
  );
  for (const dir of fs.readdirSync(root).sort()) {
    const file = path.join(root, dir, 'package.json');
    if (fs.existsSync(file)) {
      checkPlugin(problems, path.join(root, dir), releases, freshApps);
    }
  }
  return problems;
}

function supportedReleases(releases) {
  const lines = Object.keys(releases).map(
    v => `${semver.major(v)}.${semver.minor(v)}`,
  );
  return `Backstage ${[...lines].reverse().join(' and ')}`;
}

function checkPlugin(problems, folder, releases, freshApps) {
  const dir = path.basename(folder);
  const pkg = JSON.parse(
    fs.readFileSync(path.join(folder, 'package.json'), 'utf8'),
  );
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
  const files = Array.isArray(pkg.files) ? pkg.files : [];
  need(listed(files, 'dist'), 'files must list dist');
  for (const item of RUNTIME) {
    need(
      !fs.existsSync(path.join(folder, item)) || listed(files, item),
      `files must list ${item} (the package reads it at runtime)`,
    );
  }
  need(
    !pkg.configSchema || listed(files, pkg.configSchema),
    `files must list the configSchema ${pkg.configSchema}`,
  );
  for (const field of ['main', 'module', 'types']) {
    const target = pkg.publishConfig?.[field];
    need(
      !target || listed(files, target),
      `files must take in publishConfig.${field} ${target}`,
    );
  }
  const sources = runtimeSources(folder).map(f => fs.readFileSync(f, 'utf8'));
  for (const dep of Object.keys(pkg.dependencies ?? {})) {
    need(
      sources.some(source => imports(source, dep)),
      `dependency ${dep}: no published source file imports it (remove it, or make it a devDependency when only tests use it)`,
    );
  }
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
      const fresh = freshApps?.[release];
      if (!fresh?.versions?.[dep]) {
        problems.push(
          `${at}: ${dep} has no versions of a new Backstage ${release} app in plugins/backstage-releases.json (run scripts/fresh-app-versions.js)`,
        );
        continue;
      }
      for (const resolved of fresh.versions[dep]) {
        if (!semver.satisfies(resolved, range)) {
          problems.push(
            `${at}: ${dep} ${range} refuses ${resolved}, which an app created with create-app ${fresh.createApp} (Backstage ${release}) on ${fresh.resolvedOn} has: the app would hold two copies`,
          );
        }
      }
    }
  }
  const supported = supportedReleases(releases);
  const readme = path.join(folder, 'README.md');
  const text = fs.existsSync(readme) ? fs.readFileSync(readme, 'utf8') : '';
  need(
    text.replace(/\*\*/g, '').includes(supported),
    `README.md must say which releases it supports ("${supported}")`,
  );
}

// --self-test: the checks above find what they are for. Each case copies
// the plugins' package.json, README and sources (no node_modules) to a
// scratch folder, breaks one thing, and requires the problem it must cause;
// the unbroken copy must have none of those problems.
function selfTest() {
  const cases = [
    {
      what: 'migrations left out of files',
      dir: 'catalog-backend-module-central-config',
      breakIt: pkg => {
        pkg.files = pkg.files.filter(f => f !== 'migrations');
      },
      want: 'files must list migrations',
    },
    {
      what: 'a configSchema and no files',
      dir: 'central-config-node',
      breakIt: pkg => {
        delete pkg.files;
      },
      want: 'files must list the configSchema config.d.ts',
    },
    {
      what: 'a runtime dependency nothing imports',
      dir: 'kafka-topology',
      breakIt: pkg => {
        pkg.dependencies['@backstage/errors'] = '^1.3.1';
      },
      want: 'dependency @backstage/errors: no published source file imports it',
    },
    {
      what: 'a range a new app outgrew',
      dir: 'central-config',
      breakIt: pkg => {
        pkg.dependencies['@backstage/frontend-plugin-api'] = '^0.18.0';
      },
      want: '@backstage/frontend-plugin-api ^0.18.0 refuses 1.',
    },
  ];
  const failures = [];
  for (const c of cases) {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'check-packages-'));
    try {
      fs.copyFileSync(
        path.join(plugins, 'backstage-releases.json'),
        path.join(scratch, 'backstage-releases.json'),
      );
      const to = path.join(scratch, c.dir);
      fs.cpSync(path.join(plugins, c.dir), to, {
        recursive: true,
        filter: src => !src.includes(`${path.sep}node_modules`),
      });
      const before = checkPlugins(scratch);
      const file = path.join(to, 'package.json');
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
      c.breakIt(pkg);
      fs.writeFileSync(file, JSON.stringify(pkg));
      const after = checkPlugins(scratch);
      if (before.some(p => p.includes(c.want))) {
        failures.push(`${c.what}: the unbroken copy already has "${c.want}"`);
      } else if (!after.some(p => p.includes(c.want))) {
        failures.push(
          `${c.what}: no problem "${c.want}"; got:\n  ${after.join('\n  ')}`,
        );
      }
    } catch (error) {
      failures.push(`${c.what}: the check threw ${error.stack}`);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }
  if (failures.length > 0) {
    console.error(`check-packages self-test:\n${failures.join('\n')}`);
    process.exit(1);
  }
  console.log(
    `check-packages self-test: ${cases.length} broken copies, each reported`,
  );
}

if (process.argv[2] === '--self-test') {
  selfTest();
  process.exit(0);
}

const problems = checkPlugins(plugins);
run(
  problems,
  'backstage-cli repo fix --publish would change package.json files (run it in backstage/ and commit the result)',
  yarn,
  ['backstage-cli', 'repo', 'fix', '--publish', '--check'],
  app,
);

run(
  problems,
  'central-config-common: src/generated/openapi.ts is out of date',
  yarn,
  ['generate', '--check'],
  path.join(plugins, 'central-config-common'),
);

if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
const { releases } = JSON.parse(
  fs.readFileSync(path.join(plugins, 'backstage-releases.json'), 'utf8'),
);
console.log(
  `packages: publish metadata, files, used dependencies, repo fix --publish, ${supportedReleases(
    releases,
  )} ranges (releases and new apps) and the generated API types are in order`,
);
