/**
 * The web client as the local stack serves it beside the HTTP API: the built page (web/dist) when
 * there is one, otherwise a placeholder at `/`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClientTiming } from '../lib/app-manifest';
import type { StaticResponse } from './api-gateway/http-api';

const DIST = path.resolve(__dirname, '..', 'web', 'dist');

const PLACEHOLDER = Buffer.from(
  '<!doctype html><meta charset="utf-8"><title>Presence service</title>' +
    '<h1>Presence service</h1><p>The local stack is running. The HTTP API is served from this origin; see README.md.</p>',
);

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * `/config.js` names this stack's WebSocket URL and timing, so the page works on any
 * PRESENCE_WS_PORT (a deployment writes the same file with its own URLs and timing).
 */
export const webClient =
  (wsUrl: string, timing: ClientTiming) =>
  async (method: string, urlPath: string): Promise<StaticResponse | null> => {
    if (method !== 'GET') return null;
    if (urlPath === '/config.js') {
      const body = Buffer.from(`window.PRESENCE_CONFIG = ${JSON.stringify({ wsUrl, ...timing })};\n`);
      return { status: 200, headers: { 'content-type': CONTENT_TYPES['.js'], 'cache-control': 'no-store' }, body };
    }
    const relative = urlPath === '/' ? 'index.html' : urlPath.slice(1);
    const file = path.resolve(DIST, relative);
    if (!file.startsWith(DIST + path.sep)) return null;
    try {
      const body = await readFile(file);
      return { status: 200, headers: { 'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream' }, body };
    } catch {
      return urlPath === '/' ? { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: PLACEHOLDER } : null;
    }
  };
