// Where the browser tests' Chromium is: CHROMIUM_PATH when set, else the usual places and names on PATH.
// Shared by test/setup/ensure-tools.ts (run by `npm test` before vitest) and test/browser/dashboard.test.ts.
import fs from 'node:fs';
import path from 'node:path';

/** Fixed places, most likely first (Debian's chromium, then others). */
export const CHROMIUM_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

/** Names looked up on PATH when none of the fixed places has one. */
const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The Chromium to drive, or null. A CHROMIUM_PATH that is set is the only one considered (so that a wrong
 * setting is reported, not silently replaced by another browser).
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.CHROMIUM_PATH) return isExecutable(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : null;
  for (const file of CHROMIUM_CANDIDATES) if (isExecutable(file)) return file;
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const name of NAMES) if (isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

/** What to do when there is no Chromium: said the same way by the setup script and the browser test. */
export function chromiumMissingMessage(env: NodeJS.ProcessEnv = process.env): string {
  const looked = env.CHROMIUM_PATH
    ? `CHROMIUM_PATH=${env.CHROMIUM_PATH} is not an executable file`
    : `none at ${CHROMIUM_CANDIDATES.slice(0, 4).join(', ')} or on PATH, and CHROMIUM_PATH is not set`;
  return [
    `The browser tests (test/browser/dashboard.test.ts) need Chromium: ${looked}.`,
    'Install it, then run npm test again:',
    '  Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y chromium fonts-noto-cjk',
    '  (npm test does this itself when it runs as root with apt-get)',
    '  elsewhere:      install Chromium or Google Chrome and set CHROMIUM_PATH=/path/to/the/browser',
  ].join('\n');
}
