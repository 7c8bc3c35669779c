#!/usr/bin/env node
// backstage/scripts/fresh-app-versions.js: records in
// plugins/backstage-releases.json ("freshApps") which versions of the
// @backstage packages our plugins depend on an app created TODAY with each
// supported release's create-app resolves. create-app's template gives caret
// ranges and no lockfile, so a new app gets the newest versions in those
// ranges (and whatever their own dependencies ask for), not the release's
// x.0 versions; check-packages.js then requires our ranges to accept every
// one of them, or the app would hold two copies of a package (and its
// extension and service refs from the two would not match).
//
// It needs the npm registry: for each release it packs that create-app,
// writes the template's app and backend dependencies into a scratch project
// and lets npm resolve them (npm install --package-lock-only: metadata only,
// nothing is installed or run). Run it when a new Backstage release or new
// majors of its packages appear, and commit the result:
//
//     node scripts/fresh-app-versions.js
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const semver = require('semver');

const app = path.resolve(__dirname, '..');
const plugins = path.join(app, 'plugins');
const file = path.join(plugins, 'backstage-releases.json');

// Every @backstage package a plugin of ours depends on at runtime.
function ourBackstageDeps() {
  const deps = new Set();
  for (const dir of fs.readdirSync(plugins)) {
    const pkgFile = path.join(plugins, dir, 'package.json');
    if (!fs.existsSync(pkgFile)) continue;
    const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
    for (const dep of Object.keys({
      ...pkg.dependencies,
      ...pkg.peerDependencies,
    })) {
      if (dep.startsWith('@backstage/')) deps.add(dep);
    }
  }
  return [...deps].sort();
}

// The dependencies create-app's template gives a new app's packages/app and
// packages/backend, with its {{version '...'}} helpers filled in.
function templateDependencies(createApp) {
  const packed = path.join(createApp, 'package');
  const { packageVersions } = require(path.join(
    packed,
    'dist',
    'lib',
    'versions.cjs.js',
  ));
  const deps = {};
  for (const pkg of ['app', 'backend']) {
    const hbs = fs.readFileSync(
      path.join(
        packed,
        'templates',
        'default-app',
        'packages',
        pkg,
        'package.json.hbs',
      ),
      'utf8',
    );
    const filled = hbs.replace(/\{\{\s*version '([^']+)'\s*\}\}/g, (_, dep) => {
      if (!packageVersions[dep]) {
        throw new Error(`create-app has no version of ${dep}`);
      }
      return packageVersions[dep];
    });
    const block = filled.match(/"dependencies": \{([^}]*)\}/);
    if (!block) throw new Error(`${pkg}/package.json.hbs: no dependencies`);
    for (const [, name, range] of block[1].matchAll(/"([^"]+)": "([^"]+)"/g)) {
      if (!range.includes('{{') && !range.startsWith('link:')) {
        deps[name] = range;
      }
    }
  }
  return deps;
}

function resolveFreshApp(createAppVersion, wanted) {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'fresh-app-'));
  try {
    const npm = (...args) =>
      execFileSync('npm', args, { cwd: scratch, encoding: 'utf8' });
    npm('pack', `@backstage/create-app@${createAppVersion}`, '--silent');
    const tarball = fs.readdirSync(scratch).find(f => f.endsWith('.tgz'));
    const createApp = path.join(scratch, 'create-app');
    fs.mkdirSync(createApp);
    execFileSync('tar', ['xzf', path.join(scratch, tarball), '-C', createApp]);

    const project = path.join(scratch, 'app');
    fs.mkdirSync(project);
    fs.writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({
        name: 'fresh-app',
        private: true,
        dependencies: templateDependencies(createApp),
      }),
    );
    execFileSync(
      'npm',
      [
        'install',
        '--package-lock-only',
        '--legacy-peer-deps',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
      ],
      { cwd: project, stdio: 'inherit' },
    );
    const lock = JSON.parse(
      fs.readFileSync(path.join(project, 'package-lock.json'), 'utf8'),
    );
    const versions = {};
    for (const [where, entry] of Object.entries(lock.packages)) {
      const name = where.replace(/^.*node_modules\//, '');
      if (!wanted.includes(name)) continue;
      versions[name] = [
        ...new Set([...(versions[name] ?? []), entry.version]),
      ].sort(semver.compare);
    }
    return Object.fromEntries(
      Object.entries(versions).sort(([a], [b]) => a.localeCompare(b)),
    );
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

const data = JSON.parse(fs.readFileSync(file, 'utf8'));
const wanted = ourBackstageDeps();
for (const [release, fresh] of Object.entries(data.freshApps)) {
  console.error(
    `resolving a new app of create-app ${fresh.createApp} (Backstage ${release})`,
  );
  fresh.resolvedOn = new Date().toISOString().slice(0, 10);
  fresh.versions = resolveFreshApp(fresh.createApp, wanted);
}
fs.writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
// In the repository's format, which check.sh's prettier step checks.
execFileSync(path.join(app, 'scripts', 'yarn'), ['prettier', '--write', file], {
  cwd: app,
  stdio: 'inherit',
});
