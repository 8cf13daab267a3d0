// Renders DiceBear avatars in bulk: one JSON request per stdin line, one JSON reply per stdout line.
//
//   request:  {"id": 17, "style": "adventurer", "options": {"seed": "17", "hair": ["long03"], ...}}
//   reply:    {"id": 17, "svg": "<svg ...>"}          (or {"id": 17, "error": "..."})
//
// `node render.mjs schema` prints every style's option schema as one JSON object instead.
// One process serves thousands of requests, so node's start-up cost is paid once.
import { createInterface } from 'node:readline';
import { createAvatar } from '@dicebear/core';
import * as collection from '@dicebear/collection';

// The package names used by the Python side ("big-smile") -> the collection's export names ("bigSmile").
const exportName = (style) => style.replace(/-([a-z])/g, (_, c) => c.toUpperCase());

function styleOf(name) {
  const style = collection[exportName(name)];
  if (!style) throw new Error(`unknown DiceBear style ${JSON.stringify(name)}`);
  return style;
}

if (process.argv[2] === 'schema') {
  const names = process.argv.slice(3);
  const out = {};
  for (const name of names) out[name] = styleOf(name).schema;
  process.stdout.write(JSON.stringify(out) + '\n');
} else {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let id = null;
    let reply;
    try {
      const request = JSON.parse(line);
      id = request.id;
      const svg = createAvatar(styleOf(request.style), request.options).toString();
      reply = { id, svg };
    } catch (err) {
      reply = { id, error: String(err && err.message ? err.message : err) };
    }
    // Respect back-pressure so a slow reader never makes node buffer the whole batch.
    if (!process.stdout.write(JSON.stringify(reply) + '\n')) {
      await new Promise((resolve) => process.stdout.once('drain', resolve));
    }
  }
}
