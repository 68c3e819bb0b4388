#!/usr/bin/env node
/*
 * Proves that the package, as `npm pack` makes it, installs into a fresh app of one stack and works
 * there: packs the built library (run `npm run build` first), installs the tarball with that
 * stack's Nest and MikroORM into a throwaway app under .tmp/pack-proof/ (strict peer dependencies),
 * compiles the app with TypeScript against the installed typings, boots it and checks the `Link`
 * header and an update reaching a subscriber of the embedded hub.
 *
 *   node scripts/pack-proof.js nest11   # Nest 11 + MikroORM 6, CommonJS app (versions of package.json)
 *   node scripts/pack-proof.js nest12   # Nest 12 + MikroORM 7, ES module app (.ci/modern-stack.versions)
 *
 * The app runs on the Node that runs this script.
 */
'use strict';
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const stack = process.argv[2];
const STACKS = ['nest11', 'nest12'];
if (!STACKS.includes(stack)) {
  fail(`usage: node scripts/pack-proof.js ${STACKS.join('|')}`);
}

const APP_PACKAGES = ['@nestjs/common', '@nestjs/core', '@nestjs/platform-express', '@mikro-orm/core', '@mikro-orm/libsql', '@mikro-orm/nestjs', 'reflect-metadata', 'rxjs', '@types/node'];

function fail(message) {
  console.error(`pack-proof: ${message}`);
  process.exit(1);
}

function npm(args, cwd) {
  const result = spawnSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) {
    fail(`npm ${args.join(' ')} failed in ${cwd}:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/** Exact versions of the app's dependencies for this stack. */
function appDependencies() {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const versions = { ...manifest.devDependencies };
  if (stack === 'nest12') {
    const lines = fs.readFileSync(path.join(root, '.ci/modern-stack.versions'), 'utf8').split('\n');
    for (const line of lines.map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))) {
      const at = line.lastIndexOf('@');
      versions[line.slice(0, at)] = line.slice(at + 1);
    }
  }
  const names = stack === 'nest12' ? [...APP_PACKAGES, '@mikro-orm/decorators'] : APP_PACKAGES;
  const dependencies = {};
  for (const name of names) {
    if (!versions[name]) fail(`no version of ${name} for ${stack}`);
    dependencies[name] = versions[name];
  }
  return dependencies;
}

function pack() {
  if (!fs.existsSync(path.join(root, 'dist/index.js'))) fail('dist/ is missing: run `npm run build` first');
  const destination = path.join(root, '.tmp/pack');
  fs.mkdirSync(destination, { recursive: true });
  const [info] = JSON.parse(npm(['pack', '--json', '--pack-destination', destination, '--loglevel=error'], root));
  const files = info.files.map((file) => file.path);
  const unexpected = files.filter((file) => !/^(dist\/|README\.md$|LICENSE$|package\.json$)/.test(file) || /\.spec[.-]|__fixtures__|__tests__/.test(file));
  if (unexpected.length) fail(`the tarball holds files it should not: ${unexpected.join(', ')}`);
  return path.join(destination, info.filename);
}

const started = Date.now();
const tarball = pack();
const app = path.join(root, '.tmp/pack-proof', stack);
fs.rmSync(app, { recursive: true, force: true });
fs.mkdirSync(app, { recursive: true });
for (const part of ['common', stack]) {
  fs.cpSync(path.join(__dirname, 'pack-proof', part), app, { recursive: true, filter: (src) => !src.endsWith('README.md') });
}
fs.writeFileSync(
  path.join(app, 'package.json'),
  JSON.stringify(
    {
      name: `pack-proof-${stack}`,
      private: true,
      type: stack === 'nest12' ? 'module' : 'commonjs',
      dependencies: { ...appDependencies(), 'nestjs-mercure': `file:${tarball}` },
    },
    null,
    2,
  ) + '\n',
);
// --strict-peer-deps: any peer range of ours (or theirs) that the stack does not satisfy fails here.
npm(['install', '--strict-peer-deps', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error'], app);
const installed = (name) => JSON.parse(fs.readFileSync(path.join(app, 'node_modules', name, 'package.json'), 'utf8')).version;

const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', app], { stdio: 'inherit' });
// `nestjs-mercure/testing` resolves under every moduleResolution an app may use (typesVersions for `node`).
const probe = path.join(app, 'resolution-probe.ts');
fs.writeFileSync(probe, "import { MercureTestingModule, UpdateRecorder } from 'nestjs-mercure/testing';\nimport { MercureModule } from 'nestjs-mercure';\nexport const probe = [MercureTestingModule, UpdateRecorder, MercureModule];\n");
for (const [moduleKind, resolution] of [['commonjs', 'node'], ['node16', 'node16'], ['esnext', 'bundler']]) {
  const args = ['--noEmit', '--skipLibCheck', '--strict', '--experimentalDecorators', '--module', moduleKind, '--moduleResolution', resolution, '--types', 'node', probe];
  const checked = spawnSync(process.execPath, [tsc, ...args], { cwd: app, encoding: 'utf8' });
  if (checked.status !== 0) fail(`nestjs-mercure/testing does not resolve under moduleResolution ${resolution}:\n${checked.stdout}${checked.stderr}`);
}
fs.rmSync(probe);
const run = spawnSync(process.execPath, ['dist/main.js'], { cwd: app, encoding: 'utf8', timeout: 60_000 });
process.stdout.write(run.stdout);
process.stderr.write(run.stderr);
const versions = ['@nestjs/core', '@mikro-orm/core', 'jose'].map((name) => `${name} ${installed(name)}`).join(', ');
if (run.status !== 0) fail(`${stack} app failed (exit ${run.status ?? run.signal}) on Node ${process.version}, ${versions}`);
console.log(`pack-proof: ${stack} ok on Node ${process.version}, ${versions}, ${path.basename(tarball)} (${Math.round((Date.now() - started) / 1000)} s)`);
