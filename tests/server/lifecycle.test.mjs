// What happens around requests: a client that leaves mid-stream frees its slot, SIGTERM lets
// running requests finish, and a bounded load test where every response must be complete.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, metric, sleep } from './harness.mjs';

test('a client that disconnects mid-stream frees its slot', async () => {
  const srv = await startServer(['--parallel', '1', '--ctx', '8192']);
  try {
    const c = srv.client();
    const stream = await c.completions.create({ model: 'tiny', prompt: 'go on', max_tokens: 8000, stream: true, seed: 7 });
    let n = 0;
    for await (const chunk of stream) {
      if (++n === 5) break;  // leaving the loop aborts the request
    }
    // The only slot is free again well before 8000 tokens could have been generated.
    const t0 = Date.now();
    const r = await c.completions.create({ model: 'tiny', prompt: 'next', max_tokens: 3, seed: 1 });
    assert.equal(r.choices.length, 1);
    assert.ok(Date.now() - t0 < 10000);
    let active = 1;
    for (let i = 0; i < 50 && active !== 0; i++, await sleep(20)) active = await metric(srv.base, 'rightsize_active_sequences');
    assert.equal(active, 0);
    assert.ok((await metric(srv.base, 'rightsize_generated_tokens_total')) < 8000);
  } finally {
    await srv.stop();
  }
});

test('SIGTERM drains: running requests complete, new ones are refused, exit 0', async () => {
  const srv = await startServer(['--parallel', '2']);
  const c = srv.client();
  const running = c.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], max_tokens: 300, seed: 3, stream: true });
  const stream = await running;
  const it = stream[Symbol.asyncIterator]();
  let text = (await it.next()).value.choices[0].delta.content ?? '';
  srv.proc.kill('SIGTERM');
  await sleep(100);
  const refused = await fetch(`${srv.base}/v1/completions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ model: 'tiny', prompt: 'x', max_tokens: 1 }) }).then((r) => r.status, () => 'connection refused');
  assert.ok(refused === 503 || refused === 'connection refused', `new request during drain: ${refused}`);
  let finish = null;
  for (let r = await it.next(); !r.done; r = await it.next()) {
    const ch = r.value.choices[0];
    text += ch?.delta?.content ?? '';
    if (ch?.finish_reason) finish = ch.finish_reason;
  }
  assert.ok(finish === 'stop' || finish === 'length', 'the running request finished normally');
  const { code } = await srv.exited;
  assert.equal(code, 0, srv.log());
});

test('load: 32 concurrent clients, zero errors, every response complete', async () => {
  const seconds = Number(process.env.LOAD_SECONDS ?? 30);
  const srv = await startServer(['--parallel', '8', '--queue', '64', '--ctx', '512']);
  try {
    const c = srv.client();
    const deadline = Date.now() + seconds * 1000;
    let done = 0;
    const errors = [];
    async function client(i) {
      for (let k = 0; Date.now() < deadline; k++) {
        const stream = k % 2 === 0;
        const req = { model: 'tiny', messages: [{ role: 'user', content: `client ${i} request ${k}` }], max_tokens: 8 + ((i + k) % 24), seed: i * 1000 + k };
        try {
          if (stream) {
            let finish = null;
            let usage = null;
            let content = '';
            const s = await c.chat.completions.create({ ...req, stream: true, stream_options: { include_usage: true } });
            for await (const ch of s) {
              if (ch.usage) usage = ch.usage;
              for (const x of ch.choices) {
                content += x.delta.content ?? '';
                if (x.finish_reason) finish = x.finish_reason;
              }
            }
            if (!finish || !usage) throw new Error(`incomplete stream: finish ${finish}, usage ${JSON.stringify(usage)}`);
            if (usage.completion_tokens < 1 || usage.completion_tokens > req.max_tokens) throw new Error(`bad usage ${JSON.stringify(usage)}`);
            if (finish === 'length' && usage.completion_tokens !== req.max_tokens) throw new Error('length before max_tokens');
          } else {
            const r = await c.chat.completions.create(req);
            const ch = r.choices[0];
            if (!ch.finish_reason || typeof ch.message.content !== 'string') throw new Error('incomplete response');
            if (ch.finish_reason === 'length' && r.usage.completion_tokens !== req.max_tokens) throw new Error('length before max_tokens');
          }
          done++;
        } catch (e) {
          errors.push(String(e));
        }
      }
    }
    await Promise.all(Array.from({ length: 32 }, (_, i) => client(i)));
    assert.deepEqual(errors.slice(0, 5), [], `${errors.length} errors`);
    assert.ok(done >= 32, `only ${done} requests completed`);
    console.log(`load: ${done} requests in ${seconds} s from 32 clients, 0 errors`);
    assert.equal(await metric(srv.base, 'rightsize_requests_total', 'status="200"'), done);
  } finally {
    const { code } = await srv.stop();
    assert.equal(code, 0);
  }
});
