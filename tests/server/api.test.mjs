// The OpenAI API as the official client sees it: chat, completions, streaming with usage,
// n choices, logprobs, stop, seeds, the prefix cache, and the errors (400, 401, 404, 429).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { copyFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { startServer, metric, sleep, tinyModel } from './harness.mjs';

let srv;
let client;
before(async () => {
  srv = await startServer(['--parallel', '4', '--ctx', '1024']);
  client = srv.client();
});
after(async () => {
  const { code } = await srv.stop();
  assert.equal(code, 0, `server exit code\n${srv.log()}`);
});

const chat = (extra = {}) => ({
  model: 'tiny',
  messages: [{ role: 'user', content: 'Say something.' }],
  max_tokens: 12,
  ...extra,
});

test('models lists the served model', async () => {
  const list = await client.models.list();
  assert.deepEqual(list.data.map((m) => m.id), ['tiny']);
  assert.equal(list.data[0].object, 'model');
});

test('chat completion has the OpenAI shape and usage', async () => {
  const r = await client.chat.completions.create(chat({ seed: 1 }));
  assert.equal(r.object, 'chat.completion');
  assert.match(r.id, /^chatcmpl-/);
  assert.equal(r.model, 'tiny');
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.equal(typeof r.choices[0].message.content, 'string');
  assert.ok(['stop', 'length'].includes(r.choices[0].finish_reason));
  assert.ok(r.usage.prompt_tokens > 5);
  assert.ok(r.usage.completion_tokens >= 1 && r.usage.completion_tokens <= 12);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  if (r.choices[0].finish_reason === 'length') assert.equal(r.usage.completion_tokens, 12);
});

test('content parts are read as text', async () => {
  const a = await client.chat.completions.create(chat({ seed: 5, messages: [{ role: 'user', content: [{ type: 'text', text: 'Say ' }, { type: 'text', text: 'something.' }] }] }));
  const b = await client.chat.completions.create(chat({ seed: 5 }));
  assert.equal(a.choices[0].message.content, b.choices[0].message.content);
  assert.equal(a.usage.prompt_tokens, b.usage.prompt_tokens);
});

test('text completion, several prompts, echo', async () => {
  const r = await client.completions.create({ model: 'tiny', prompt: ['Once upon', 'a time'], max_tokens: 5, seed: 3, echo: true });
  assert.equal(r.object, 'text_completion');
  assert.equal(r.choices.length, 2);
  assert.deepEqual(r.choices.map((c) => c.index), [0, 1]);
  assert.ok(r.choices[0].text.startsWith('Once upon'));
  assert.ok(r.choices[1].text.startsWith('a time'));
  const single = await client.completions.create({ model: 'tiny', prompt: [1, 100, 200, 300], max_tokens: 3, seed: 3 });
  assert.equal(single.usage.prompt_tokens, 4);
  assert.equal(single.choices.length, 1);
});

test('streaming gives the same text as the plain answer, then usage', async () => {
  const plain = await client.chat.completions.create(chat({ seed: 42, max_tokens: 20 }));
  const stream = await client.chat.completions.create(chat({ seed: 42, max_tokens: 20, stream: true, stream_options: { include_usage: true } }));
  let text = '';
  let finish = null;
  let usage = null;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    assert.equal(chunk.object, 'chat.completion.chunk');
    if (chunk.usage) {
      usage = chunk.usage;
      assert.equal(chunk.choices.length, 0);
      continue;
    }
    assert.equal(chunk.usage, null, 'usage is null on the content chunks');
    const c = chunk.choices[0];
    if (chunks === 1) assert.equal(c.delta.role, 'assistant');
    text += c.delta.content ?? '';
    if (c.finish_reason) finish = c.finish_reason;
  }
  assert.equal(text, plain.choices[0].message.content);
  assert.equal(finish, plain.choices[0].finish_reason);
  assert.ok(usage, 'a usage chunk arrived');
  assert.equal(usage.completion_tokens, plain.usage.completion_tokens);
  assert.equal(usage.prompt_tokens, plain.usage.prompt_tokens);
});

test('n = 3 gives three choices from one prompt evaluation', async () => {
  const r = await client.chat.completions.create(chat({ n: 3, seed: 9, max_tokens: 16, temperature: 1.5 }));
  assert.equal(r.choices.length, 3);
  assert.deepEqual(r.choices.map((c) => c.index), [0, 1, 2]);
  const texts = new Set(r.choices.map((c) => c.message.content));
  assert.ok(texts.size >= 2, `choices differ: ${[...texts]}`);
  const one = await client.chat.completions.create(chat({ seed: 9, max_tokens: 16, temperature: 1.5 }));
  assert.equal(r.usage.prompt_tokens, one.usage.prompt_tokens, 'the prompt counts once');
  // Streamed choices carry their index.
  const stream = await client.chat.completions.create(chat({ n: 3, seed: 9, max_tokens: 16, temperature: 1.5, stream: true }));
  const streamed = ['', '', ''];
  for await (const chunk of stream) for (const c of chunk.choices) streamed[c.index] += c.delta.content ?? '';
  assert.deepEqual(streamed, r.choices.map((c) => c.message.content));
});

test('logprobs and top_logprobs', async () => {
  const r = await client.chat.completions.create(chat({ logprobs: true, top_logprobs: 3, seed: 4, temperature: 0 }));
  const lp = r.choices[0].logprobs.content;
  assert.equal(lp.length, r.usage.completion_tokens);
  for (const t of lp) {
    assert.ok(t.logprob <= 0);
    assert.equal(t.top_logprobs.length, 3);
    // Greedy: the chosen token is the most likely one.
    assert.equal(t.top_logprobs[0].token, t.token);
    assert.ok(Array.isArray(t.bytes));
  }
  const text = await client.completions.create({ model: 'tiny', prompt: 'abc', max_tokens: 4, logprobs: 2, seed: 1 });
  assert.equal(text.choices[0].logprobs.tokens.length, text.usage.completion_tokens);
  assert.equal(text.choices[0].logprobs.tokens.join(''), text.choices[0].text);
});

test('stop strings end the text before them', async () => {
  const free = await client.completions.create({ model: 'tiny', prompt: 'The', max_tokens: 40, seed: 11 });
  const text = free.choices[0].text;
  assert.ok(text.length >= 6, `need some text, got '${text}'`);
  const stop = text.slice(3, 5);
  const cut = await client.completions.create({ model: 'tiny', prompt: 'The', max_tokens: 40, seed: 11, stop: [stop] });
  assert.equal(cut.choices[0].text, text.slice(0, text.indexOf(stop)));
  assert.equal(cut.choices[0].finish_reason, 'stop');
  // The same through the stream: nothing of the stop string leaks out.
  const stream = await client.completions.create({ model: 'tiny', prompt: 'The', max_tokens: 40, seed: 11, stop: stop, stream: true });
  let streamed = '';
  for await (const c of stream) streamed += c.choices[0]?.text ?? '';
  assert.equal(streamed, cut.choices[0].text);
});

test('a seed reproduces the output; another seed changes it', async () => {
  const req = chat({ seed: 1234, max_tokens: 24, temperature: 1.2 });
  const a = await client.chat.completions.create(req);
  const b = await client.chat.completions.create(req);
  const c = await client.chat.completions.create({ ...req, seed: 4321 });
  assert.equal(a.choices[0].message.content, b.choices[0].message.content);
  assert.notEqual(a.choices[0].message.content, c.choices[0].message.content);
});

test('a repeated prompt prefix is served from the cache', async () => {
  const system = 'You are a helpful assistant. '.repeat(20);
  const first = await client.chat.completions.create(chat({ messages: [{ role: 'system', content: system }, { role: 'user', content: 'First question?' }], max_tokens: 2 }));
  const second = await client.chat.completions.create(chat({ messages: [{ role: 'system', content: system }, { role: 'user', content: 'Second one?' }], max_tokens: 2 }));
  assert.ok(second.usage.prompt_tokens_details.cached_tokens > first.usage.prompt_tokens * 0.8,
    `cached ${second.usage.prompt_tokens_details.cached_tokens} of ${second.usage.prompt_tokens}`);
});

test('wrong types and values are 400 naming the parameter', async () => {
  const cases = [
    [{ temperature: 'hot' }, 'temperature'],
    [{ temperature: 3 }, 'temperature'],
    [{ max_tokens: 0 }, 'max_tokens'],
    [{ n: 'two' }, 'n'],
    [{ stop: 5 }, 'stop'],
    [{ top_logprobs: 2 }, 'top_logprobs'],
    [{ logit_bias: { nope: 1 } }, 'logit_bias'],
    [{ messages: [] }, 'messages'],
    [{ messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role'],
    [{ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }, 'messages[0].content[0].type'],
  ];
  for (const [extra, param] of cases) {
    await assert.rejects(client.chat.completions.create(chat(extra)), (e) => {
      assert.ok(e instanceof OpenAI.BadRequestError, `${JSON.stringify(extra)} gave ${e}`);
      assert.equal(e.status, 400);
      assert.equal(e.param, param, JSON.stringify(e.error));
      assert.equal(e.type, 'invalid_request_error');
      return true;
    });
  }
  // Unknown fields are ignored.
  const r = await client.chat.completions.create(chat({ some_future_field: { a: 1 } }));
  assert.equal(r.choices.length, 1);
  // Not JSON at all.
  const bad = await fetch(`${srv.base}/v1/chat/completions`, { method: 'POST', body: '{"model": ', headers: { 'Content-Type': 'application/json' } });
  assert.equal(bad.status, 400);
  assert.ok((await bad.json()).error.message.includes('not valid JSON'));
});

test('a prompt longer than the context is 400 with the numbers', async () => {
  const long = 'word '.repeat(3000);
  await assert.rejects(client.completions.create({ model: 'tiny', prompt: long, max_tokens: 1 }), (e) => {
    assert.equal(e.status, 400);
    assert.match(e.message, /tokens, more than the context of 1024/);
    return true;
  });
});

test('an unknown model is 404 model_not_found', async () => {
  await assert.rejects(client.chat.completions.create(chat({ model: 'gpt-17' })), (e) => {
    assert.ok(e instanceof OpenAI.NotFoundError);
    assert.equal(e.code, 'model_not_found');
    return true;
  });
  const r = await fetch(`${srv.base}/v1/nothing-here`);
  assert.equal(r.status, 404);
});

test('metrics count requests and tokens', async () => {
  const before = await metric(srv.base, 'rightsize_generated_tokens_total');
  const r = await client.completions.create({ model: 'tiny', prompt: 'count me', max_tokens: 5, seed: 2 });
  const after = await metric(srv.base, 'rightsize_generated_tokens_total');
  assert.equal(after - before, r.usage.completion_tokens);
  assert.ok((await metric(srv.base, 'rightsize_requests_total', 'status="404"')) >= 1);
  assert.ok((await metric(srv.base, 'rightsize_time_to_first_token_seconds_count')) >= 1);
  assert.equal(await metric(srv.base, 'rightsize_slots', 'model="tiny"'), 4);
  assert.equal(await metric(srv.base, 'rightsize_queue_depth'), 0);
});

test('an API key is required when set: 401 otherwise', async () => {
  const keyed = await startServer(['--api-key', 'sekrit']);
  try {
    await assert.rejects(keyed.client({ apiKey: 'wrong' }).models.list(), (e) => {
      assert.ok(e instanceof OpenAI.AuthenticationError);
      assert.equal(e.status, 401);
      assert.equal(e.code, 'invalid_api_key');
      return true;
    });
    const ok = await keyed.client({ apiKey: 'sekrit' }).models.list();
    assert.equal(ok.data[0].id, 'tiny');
    assert.equal((await fetch(`${keyed.base}/health`)).status, 200, '/health needs no key');
  } finally {
    await keyed.stop();
  }
});

test('a full queue is 429 with Retry-After', async () => {
  const busy = await startServer(['--parallel', '1', '--queue', '0', '--ctx', '8192']);
  try {
    const c = busy.client();
    const long = await c.completions.create({ model: 'tiny', prompt: 'go', max_tokens: 8000, stream: true, seed: 1 });
    const it = long[Symbol.asyncIterator]();
    await it.next();  // it holds the only slot now
    const raw = await fetch(`${busy.base}/v1/completions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ model: 'tiny', prompt: 'x', max_tokens: 1 }) });
    assert.equal(raw.status, 429);
    assert.equal(raw.headers.get('retry-after'), '1');
    await assert.rejects(c.completions.create({ model: 'tiny', prompt: 'x', max_tokens: 1 }), (e) => {
      assert.ok(e instanceof OpenAI.RateLimitError);
      return true;
    });
    long.controller.abort();
  } finally {
    await busy.stop();
  }
});

test('several models, each by its id', async () => {
  const second = join(dirname(tinyModel()), 'tiny-copy.gguf');
  copyFileSync(tinyModel(), second);
  const two = await startServer([], [tinyModel(), second]);
  try {
    const c = two.client();
    const ids = (await c.models.list()).data.map((m) => m.id).sort();
    assert.deepEqual(ids, ['tiny', 'tiny-copy']);
    for (const model of ids) {
      const r = await c.completions.create({ model, prompt: 'hello', max_tokens: 4, seed: 8 });
      assert.equal(r.model, model);
      assert.equal(r.choices.length, 1);
    }
    assert.equal(await metric(two.base, 'rightsize_slots', 'model="tiny-copy"'), 4);
  } finally {
    await two.stop();
  }
});
