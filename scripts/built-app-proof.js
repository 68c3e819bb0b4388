#!/usr/bin/env node
/*
 * Proves that what `nest build --all` made runs: boots the built sample app (the entry file that
 * nest-cli.json names, under the out dir of its tsconfig) once on a free port with SQLite in
 * memory, checks that `GET /books` answers 200 with the Mercure discovery `Link` header and that
 * the page's static files were copied beside it, then stops it.
 *
 *   npx nest build --all && node scripts/built-app-proof.js
 */
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');

const root = path.resolve(__dirname, '..');
// Where the Nest CLI puts the default project's entry: <outDir>/<sourceRoot>/<entryFile>.js.
const cli = JSON.parse(fs.readFileSync(path.join(root, 'nest-cli.json'), 'utf8'));
const project = cli.projects[cli.root];
const tsconfigPath = path.join(root, project.compilerOptions.tsConfigPath);
const outDir = path.resolve(path.dirname(tsconfigPath), JSON.parse(fs.readFileSync(tsconfigPath, 'utf8')).compilerOptions.outDir);
const entry = path.join(outDir, project.sourceRoot, `${project.entryFile}.js`);
const BOOT_TIMEOUT_MS = 60_000;

function fail(message) {
  console.error(`built-app-proof: ${message}`);
  process.exit(1);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function get(url) {
  try {
    return await fetch(url);
  } catch {
    return undefined; // not listening yet
  }
}

async function main() {
  if (!fs.existsSync(entry)) fail(`${path.relative(root, entry)} is missing: run \`npx nest build --all\` first`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const app = spawn(process.execPath, [entry], {
    cwd: root,
    env: { ...process.env, PORT: String(port), SQLITE_PATH: ':memory:', DATABASE_URL: '', MERCURE_PUBLISH_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  app.stdout.on('data', (chunk) => (output += chunk));
  app.stderr.on('data', (chunk) => (output += chunk));
  let exited = false;
  app.on('exit', () => (exited = true));
  const stop = () => !exited && app.kill('SIGTERM');
  try {
    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    let books;
    while (!(books = await get(`${base}/books`))) {
      if (exited) fail(`the built app exited before answering:\n${output}`);
      if (Date.now() > deadline) fail(`no answer on ${base} within ${BOOT_TIMEOUT_MS / 1000} s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const link = books.headers.get('link') ?? '';
    if (books.status !== 200) fail(`GET /books answered ${books.status}`);
    if (!/rel="mercure"/.test(link)) fail(`GET /books has no Mercure Link header (got "${link}")`);
    const page = await get(`${base}/app.js`);
    if (page?.status !== 200) fail(`GET /app.js answered ${page?.status}: public/ was not copied beside the built app`);
    console.log(`built-app-proof: ${path.relative(root, entry)} ok on Node ${process.version}: GET /books 200, Link ${link}`);
  } finally {
    stop();
  }
}

main().catch((error) => fail(error instanceof Error ? error.stack : String(error)));
