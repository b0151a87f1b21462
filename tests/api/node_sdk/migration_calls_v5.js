// Auth0's npm SDK 5.x and later (a generated client: methods answer the body itself, lists are
// pages) against a live Rekey: only the domain changes. The SDK takes no fetch of its own, so
// the global one is wrapped to turn its https:// into http:// (the test server's); nothing else.
// Usage: node migration_calls_v5.js DOMAIN TOKEN CONNECTION_NAME CONNECTION_ID
const realFetch = globalThis.fetch;
const toHttp = (url) => String(url).replace(/^https:\/\//, "http://");
globalThis.fetch = (input, init) =>
  input instanceof Request
    ? realFetch(new Request(toHttp(input.url), input), init)
    : realFetch(toHttp(input), init);
const { ManagementClient } = require("auth0");

const [domain, token, connectionName, connectionId] = process.argv.slice(2);
const management = new ManagementClient({ domain, token });

async function main() {
  const out = {};
  const created = await management.users.create({
    connection: connectionName,
    email: "node-v5-migrated@example.com",
    password: "Granite-Orbit-73!",
    user_id: "nodev5f0c1a2b",
  });
  out.created_user_id = created.user_id;
  const fetched = await management.users.get(created.user_id);
  out.fetched_email = fetched.email;
  await management.users.update(created.user_id, { password: "Basalt-Harbour-91!" });
  await management.users.delete(created.user_id);
  out.deleted = true;
  // Checkpoint pagination: one connection a page, every page followed (5.x saw [] before).
  const names = [];
  for await (const connection of await management.connections.list({ take: 1 })) {
    names.push(connection.name);
  }
  out.connection_names = names;
  const one = await management.connections.get(connectionId);
  out.connection_strategy = one.strategy;
  const logs = [];
  for await (const event of await management.logs.list({ search: "type:sdu" })) {
    logs.push(event.type);
  }
  out.log_types = logs;
  const ticket = await management.tickets.changePassword({
    email: "ada@example.com",
    connection_id: connectionId,
  });
  out.ticket = ticket.ticket;
  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n${JSON.stringify(error.body || "")}\n`);
  process.exit(1);
});
