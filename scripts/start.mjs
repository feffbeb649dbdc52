// `npm start`: the compiled service (dist/src/main.js), built first when src/ or migrations/ changed
// since the last build. Loading the app through tsx compiles ~150 modules at every start: 3.4 s
// here against 1.3 s for the compiled files (node -e import of app + workers, busy 2-core machine),
// and the second start of the embedded default should be ready in under 2 s (bench/startup.bench.ts).
// Plain JavaScript: it runs before anything is built. `npm run dev` runs the sources through tsx.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const stamp = path.join(root, 'dist', '.built-from-sources');

/** The newest modification time of any file under `dir` (0 when it does not exist). */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const sources = Math.max(
  newest(path.join(root, 'src')),
  newest(path.join(root, 'migrations')),
  ...['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'].map((f) => (existsSync(path.join(root, f)) ? statSync(path.join(root, f)).mtimeMs : 0)),
);
const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
if (built < sources || !existsSync(path.join(root, 'dist', 'src', 'main.js'))) {
  console.log('Building Batsignal (the sources changed since the last build; once, about 20 s)...');
  const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('Batsignal: the build failed (above). `npm run dev` runs the sources directly.');
    process.exit(r.status ?? 1);
  }
  writeFileSync(stamp, new Date().toISOString() + '\n');
}
// dist/src/main.js starts the service when it is the script run; here it is imported, so start it.
process.argv[1] = path.join(root, 'dist', 'src', 'main.js');
await import(pathToFileURL(process.argv[1]).href);
