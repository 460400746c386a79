// Starts the real `rightsize serve` binary on loopback for the tests, on a model the project
// generates itself (random weights), and stops it afterwards.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';

export const BIN = process.env.RIGHTSIZE_BIN;
if (!BIN || !existsSync(BIN)) {
  throw new Error(`RIGHTSIZE_BIN must name the rightsize binary (got '${BIN}')`);
}

const dir = mkdtempSync(join(tmpdir(), 'rs-server-test-'));
let modelPath = null;

// The tiny preset: a llama with a 2048-token vocabulary, fast enough for load tests.
export function tinyModel() {
  if (!modelPath) {
    modelPath = join(dir, 'tiny.gguf');
    execFileSync(BIN, ['gen-model', '--preset', 'tiny', '--out', modelPath], { stdio: 'ignore' });
  }
  return modelPath;
}

// Starts a server; resolves once it listens. `args` are extra flags.
export async function startServer(args = [], models = [tinyModel()]) {
  const argv = ['serve', '--port', '0', '-t', '1'];
  for (const m of models) argv.push('-m', m);
  argv.push(...args);
  const proc = spawn(BIN, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 30000);
    proc.stderr.on('data', (d) => {
      log += d.toString();
      const m = log.match(/listening on http:\/\/[^:]+:(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${log}`));
    });
  });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const base = `http://127.0.0.1:${port}`;
  return {
    proc,
    port,
    base,
    exited,
    log: () => log,
    client: (opts = {}) => new OpenAI({ baseURL: `${base}/v1`, apiKey: 'none', maxRetries: 0, ...opts }),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
}

// A metric's value from /metrics (summed over label sets matching `labels`).
export async function metric(base, name, labels = '') {
  const text = await (await fetch(`${base}/metrics`)).text();
  let total = 0;
  let seen = false;
  for (const line of text.split('\n')) {
    if (line.startsWith(name + '{') || line.startsWith(name + ' ')) {
      if (labels && !line.includes(labels)) continue;
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
      seen = true;
    }
  }
  if (!seen) throw new Error(`metric ${name} not found in /metrics`);
  return total;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
