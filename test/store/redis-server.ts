/**
 * Starts a real `redis-server` on a free port of 127.0.0.1 for a test and stops it after.
 * Fails loudly (never skips) when redis-server is not installed: the Redis store must be
 * proven against the real server, in CI and on developer machines alike.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { once } from 'node:events';

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export function assertRedisInstalled(): void {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      '\n\n*** redis-server is not installed: the Redis store tests cannot run. ***\n' +
        '*** Install it with: sudo apt-get install -y redis-server   (CI does this in .ci/run) ***\n',
    );
  }
}

/**
 * A fresh, empty server; `port` reuses a port (a restart). With `dataDir` it keeps its data
 * there (append-only file), so a restart on the same port and folder comes back with it.
 */
export async function startRedis(options: { port?: number; dataDir?: string } = {}): Promise<RedisServer> {
  assertRedisInstalled();
  const port = options.port ?? (await freePort());
  const persistence = options.dataDir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', options.dataDir] : ['--appendonly', 'no'];
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with code ${code}:\n${output}`));
    });
  });
  await ready;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
