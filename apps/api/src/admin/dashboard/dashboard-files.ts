import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The dashboard's files in `public/` (HTML, CSS and plain browser JS as ES modules, no build step), each
 * served at `/admin/<name>`. nest-cli.json copies the folder next to the compiled controller in dist/.
 * This list is the only thing served: nothing else under /admin is read from disk.
 */
export const DASHBOARD_ASSETS = {
  'dashboard.css': 'text/css; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'format.js': 'text/javascript; charset=utf-8',
  'history.js': 'text/javascript; charset=utf-8',
  'fraud-panel.js': 'text/javascript; charset=utf-8',
} as const;

export type DashboardAsset = keyof typeof DASHBOARD_ASSETS;

export const DASHBOARD_ASSET_NAMES = Object.keys(DASHBOARD_ASSETS) as DashboardAsset[];

/** The page itself, served at /admin. */
export const DASHBOARD_PAGE = 'index.html';

/** The routes of the page and its assets, which live outside the `api/v1` prefix (see configure-app.ts). */
export const DASHBOARD_ROUTES = ['admin', ...DASHBOARD_ASSET_NAMES.map((name) => `admin/${name}`)];

/** The folder holding the files: beside this module both in the sources (ts-jest) and in dist/. */
const PUBLIC_DIR = join(__dirname, 'public');

type DashboardFile = DashboardAsset | typeof DASHBOARD_PAGE;

export type DashboardFiles = Readonly<Record<DashboardFile, Buffer>>;

/** Reads every file once; a missing file fails here, at start-up, rather than on a request. */
export function loadDashboardFiles(): DashboardFiles {
  const names: DashboardFile[] = [DASHBOARD_PAGE, ...DASHBOARD_ASSET_NAMES];
  const files = {} as Record<DashboardFile, Buffer>;
  for (const name of names) files[name] = readFileSync(join(PUBLIC_DIR, name));
  return Object.freeze(files);
}
