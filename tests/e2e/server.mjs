// A tiny static file server for the browser tests and the benchmark page (node:http, no deps).
// `mounts` maps URL prefixes to directories, e.g. { '/': 'web', '/data/': 'target/bench-data' }.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
  '.npy': 'application/octet-stream',
  '.npz': 'application/octet-stream',
  '.ts': 'text/plain; charset=utf-8',
};

/**
 * Serves `mounts` on 127.0.0.1 at a free port; resolves to { url, close() }. Every request's path
 * is pushed onto `log` when given (the tests check what a page fetched).
 */
export async function startServer(mounts, log = null) {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const server = createServer(async (request, response) => {
    const urlPath = decodeURIComponent(new URL(request.url, 'http://localhost').pathname);
    log?.push(urlPath);
    const prefix = prefixes.find((candidate) => urlPath.startsWith(candidate));
    const root = prefix && path.resolve(mounts[prefix]);
    let file = root && path.join(root, urlPath.slice(prefix.length));
    try {
      if (!file || !file.startsWith(root)) throw new Error('outside the served directories');
      if ((await stat(file)).isDirectory()) file = path.join(file, 'index.html');
      const { size } = await stat(file);
      response.writeHead(200, {
        'content-type': MIME[path.extname(file)] ?? 'application/octet-stream',
        'content-length': size,
        'cache-control': 'no-store',
        // cross-origin isolation: the page's timer then has 5 µs steps instead of 100 µs
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
      });
      createReadStream(file).pipe(response);
    } catch {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end(`not found: ${urlPath}`);
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
