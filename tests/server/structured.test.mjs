// Structured output through the API: every schema of bench/schemas, several seeds each, on a
// random-weight model (the hardest adversary) must end with finish_reason "stop" and give JSON
// that a real JSON Schema validator (Ajv) accepts; tool calls parse and name a known tool.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import Ajv2019 from 'ajv/dist/2019.js';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { startServer } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const schemaDir = join(here, '..', '..', 'bench', 'schemas');
const SEEDS = (process.env.SCHEMA_SEEDS ?? '1,2,3').split(',').map(Number);

let srv;
let client;
before(async () => {
  srv = await startServer(['--parallel', '4', '--ctx', '4096']);
  client = srv.client();
});
after(async () => {
  await srv.stop();
});

// The validator of the draft a schema declares (2020-12, whose prefixItems we implement, by default).
function validator(schema) {
  const draft = String(schema.$schema ?? '');
  const Impl = draft.includes('draft-07') || draft.includes('draft-06') ? Ajv : draft.includes('2019-09') ? Ajv2019 : Ajv2020;
  const ajv = new Impl({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

// A schema file holds a JSON Schema, or an OpenAI function definition whose parameters are one.
function loadSchemas() {
  const files = readdirSync(schemaDir).filter((f) => f.endsWith('.json')).sort();
  assert.ok(files.length >= 50, `bench/schemas has ${files.length} schemas, want >= 50`);
  return files.map((f) => ({ name: f, schema: JSON.parse(readFileSync(join(schemaDir, f), 'utf8')) }));
}

test('every schema, several seeds: finish "stop" and output that validates', async () => {
  const schemas = loadSchemas();
  const failures = [];
  let runs = 0;
  // Four at a time: the server's slots.
  const jobs = [];
  for (const { name, schema } of schemas) for (const seed of SEEDS) jobs.push({ name, schema, seed });
  async function worker() {
    while (jobs.length) {
      const { name, schema, seed } = jobs.shift();
      const r = await client.chat.completions.create({
        model: 'tiny',
        messages: [{ role: 'user', content: `Produce an instance of ${name}.` }],
        response_format: { type: 'json_schema', json_schema: { name: 'out', schema, strict: true } },
        max_tokens: 3000,
        temperature: 1,
        seed,
      });
      runs++;
      const c = r.choices[0];
      const where = `${name} seed ${seed}`;
      if (c.finish_reason !== 'stop') {
        failures.push(`${where}: finish_reason ${c.finish_reason} after ${r.usage.completion_tokens} tokens`);
        continue;
      }
      let value;
      try {
        value = JSON.parse(c.message.content);
      } catch (e) {
        failures.push(`${where}: not JSON: ${e.message}: ${c.message.content.slice(0, 200)}`);
        continue;
      }
      const validate = validator(schema);
      if (!validate(value)) failures.push(`${where}: invalid: ${JSON.stringify(validate.errors).slice(0, 300)}: ${c.message.content.slice(0, 200)}`);
    }
  }
  await Promise.all([worker(), worker(), worker(), worker()]);
  console.log(`structured: ${runs} constrained generations over ${schemas.length} schemas, ${failures.length} failures`);
  assert.deepEqual(failures, []);
});

test('json_object gives a JSON object', async () => {
  for (const seed of [1, 2]) {
    const r = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'JSON please' }], response_format: { type: 'json_object' }, max_tokens: 3000, seed });
    assert.equal(r.choices[0].finish_reason, 'stop');
    const v = JSON.parse(r.choices[0].message.content);
    assert.equal(typeof v, 'object');
    assert.ok(!Array.isArray(v) && v !== null);
  }
});

const tools = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 20 }, unit: { enum: ['c', 'f'] } }, required: ['city', 'unit'], additionalProperties: false } } },
  { type: 'function', function: { name: 'add', parameters: { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'integer' } }, required: ['a', 'b'], additionalProperties: false } } },
];

test('tool_choice required and named give tool_calls that parse and validate', async () => {
  const checks = { get_weather: validator(tools[0].function.parameters), add: validator(tools[1].function.parameters) };
  for (const seed of [1, 2, 3]) {
    for (const tool_choice of ['required', { type: 'function', function: { name: 'add' } }]) {
      const r = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'Use a tool.' }], tools, tool_choice, max_tokens: 2000, seed });
      const c = r.choices[0];
      assert.equal(c.finish_reason, 'tool_calls', JSON.stringify(c));
      assert.equal(c.message.content, null);
      assert.equal(c.message.tool_calls.length, 1);
      const call = c.message.tool_calls[0];
      assert.equal(call.type, 'function');
      assert.match(call.id, /^call_/);
      if (typeof tool_choice === 'object') assert.equal(call.function.name, 'add');
      const args = JSON.parse(call.function.arguments);
      assert.ok(checks[call.function.name](args), `${call.function.name} ${call.function.arguments}`);
    }
  }
});

test('a streamed tool call arrives as tool_calls deltas with finish_reason tool_calls', async () => {
  const stream = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'Weather?' }], tools, tool_choice: { type: 'function', function: { name: 'get_weather' } }, max_tokens: 2000, seed: 5, stream: true });
  let name = '';
  let args = '';
  let finish = null;
  for await (const chunk of stream) {
    const ch = chunk.choices[0];
    for (const tc of ch?.delta?.tool_calls ?? []) {
      name += tc.function?.name ?? '';
      args += tc.function?.arguments ?? '';
    }
    if (ch?.finish_reason) finish = ch.finish_reason;
  }
  assert.equal(finish, 'tool_calls');
  assert.equal(name, 'get_weather');
  assert.ok(validator(tools[0].function.parameters)(JSON.parse(args)), args);
});

test('tool_choice none answers in text; a tool result can be sent back', async () => {
  const r = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], tools, tool_choice: 'none', max_tokens: 5, seed: 1 });
  assert.equal(r.choices[0].message.tool_calls, undefined);
  assert.equal(typeof r.choices[0].message.content, 'string');
  const followUp = await client.chat.completions.create({
    model: 'tiny',
    messages: [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"c"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temp": 21}' },
    ],
    tools,
    max_tokens: 5,
    seed: 1,
  });
  assert.equal(followUp.choices.length, 1);
});

test('bad grammars and schemas are 400s that say where', async () => {
  const raw = async (body) => {
    const r = await fetch(`${srv.base}/v1/chat/completions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'x' }], ...body }) });
    return { status: r.status, error: (await r.json()).error };
  };
  let e = await raw({ grammar: 'root ::= "a" bogus' });
  assert.equal(e.status, 400);
  assert.equal(e.error.param, 'grammar');
  assert.match(e.error.message, /line 1, column \d+/);
  assert.match(e.error.message, /bogus/);
  e = await raw({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { ip: { type: 'string', format: 'ipv6' } } } } } });
  assert.equal(e.status, 400);
  assert.equal(e.error.param, 'response_format.json_schema.schema');
  assert.match(e.error.message, /'format'/);
  assert.match(e.error.message, /#\/properties\/ip/);
  e = await raw({ tools, tool_choice: { type: 'function', function: { name: 'nope' } } });
  assert.equal(e.status, 400);
  assert.equal(e.error.param, 'tool_choice');
  e = await raw({ tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', patternProperties: { x: {} } } } }], tool_choice: 'required' });
  assert.equal(e.status, 400);
  assert.equal(e.error.param, 'tools[0].function.parameters');
  e = await raw({ response_format: { type: 'xml' } });
  assert.equal(e.error.param, 'response_format.type');
});

test('a GBNF grammar constrains a text completion', async () => {
  const r = await client.completions.create({ model: 'tiny', prompt: 'Answer:', grammar: 'root ::= ("yes" | "no") "."', max_tokens: 50, seed: 3 });
  assert.match(r.choices[0].text, /^(yes|no)\.$/);
  assert.equal(r.choices[0].finish_reason, 'stop');
});
