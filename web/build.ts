/**
 * Builds the web client from web/src into web/dist (gitignored): the bundled app, the page, the
 * styles and a default `config.js`. A deployment overwrites config.js with its API URLs; the local
 * runtime serves its own. `npm run build:web` runs this; `npm start` runs it first.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

export interface WebBuild {
  readonly outdir: string;
  /** Bytes of app.js as written. */
  readonly appBytes: number;
}

const SRC = path.join(__dirname, 'src');
export const WEB_DIST = path.join(__dirname, 'dist');

/** The defaults: HTTP on the page's origin, WebSocket on port 4001 of its host (see src/config.ts). */
const DEFAULT_CONFIG =
  '// Written by the deployment: window.PRESENCE_CONFIG = { httpUrl: "https://...", wsUrl: "wss://..." };\nwindow.PRESENCE_CONFIG = window.PRESENCE_CONFIG || {};\n';

export const buildWeb = async (outdir: string = WEB_DIST): Promise<WebBuild> => {
  await mkdir(outdir, { recursive: true });
  const result = await build({
    entryPoints: [path.join(SRC, 'main.ts')],
    outfile: path.join(outdir, 'app.js'),
    bundle: true,
    minify: true,
    sourcemap: 'linked',
    format: 'iife',
    platform: 'browser',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    metafile: true,
    logLevel: 'warning',
  });
  await copyFile(path.join(SRC, 'index.html'), path.join(outdir, 'index.html'));
  await copyFile(path.join(SRC, 'styles.css'), path.join(outdir, 'styles.css'));
  await writeFile(path.join(outdir, 'config.js'), DEFAULT_CONFIG);
  const app = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('app.js'));
  return { outdir, appBytes: app?.[1].bytes ?? 0 };
};

if (require.main === module) {
  buildWeb().then(
    ({ outdir, appBytes }) =>
      process.stdout.write(`web client built into ${path.relative(process.cwd(), outdir) || '.'} (app.js ${appBytes} B)\n`),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
