// The real server in a child process: src/main.ts through tsx (`npm start` runs the same entry point compiled), configured
// only through its environment. For the crash test and the bench: it can be killed with SIGKILL.
//
//   const s = spawnServer({ DATABASE_URL, ADMIN_TOKEN, VONAGE_API_KEY, ..., PORT: '4123' });
//   await s.ready;          // "Batsignal listening on ..." printed; s.port is its port
//   s.kill('SIGKILL'); await s.exited;
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ServerProcess {
  child: ChildProcess;
  ready: Promise<void>;
  port: number;
  /** Milliseconds from spawn to the listening line. */
  startMs: number;
  kill(signal: NodeJS.Signals): void;
  exited: Promise<number | null>;
  output(): string;
}

const root = fileURLToPath(new URL('../../', import.meta.url));

export function spawnServer(env: Record<string, string>): ServerProcess {
  const t0 = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const s = { child, port: 0, startMs: 0, output: () => out } as ServerProcess;
  s.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  s.ready = new Promise((resolve, reject) => {
    const check = () => {
      const m = /Batsignal listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (!m) return;
      child.stdout.off('data', check);
      s.port = Number(m[1]);
      s.startMs = Date.now() - t0;
      resolve();
    };
    child.stdout.on('data', check);
    void s.exited.then((code) => reject(new Error(`server exited (${code}) before listening:\n${out.slice(-2000)}`)));
  });
  s.kill = (signal) => void child.kill(signal);
  return s;
}
