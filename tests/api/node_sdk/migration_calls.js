// Auth0's npm SDK (`auth0`) against a live Rekey: only the domain changes. The test server speaks
// plain HTTP, so the fetch given to the SDK turns its https:// into http://; nothing else.
// Usage: node migration_calls.js DOMAIN TOKEN CONNECTION_NAME CONNECTION_ID
const { ManagementClient } = require("auth0");

const [domain, token, connectionName, connectionId] = process.argv.slice(2);
const toHttp = (url) => String(url).replace(/^https:\/\//, "http://");
const fetchOverHttp = (input, init) =>
  input instanceof Request
    ? fetch(new Request(toHttp(input.url), input), init)
    : fetch(toHttp(input), init);
const management = new ManagementClient({ domain, token, fetch: fetchOverHttp });

async function main() {
  const out = {};
  const created = await management.users.create({
    connection: connectionName,
    email: "node-migrated@example.com",
    password: "Granite-Orbit-73!",
    user_id: "node5f0c1a2b",
  });
  out.created_user_id = created.data.user_id;
  await management.users.delete({ id: created.data.user_id });
  out.deleted = true;
  const connections = await management.connections.getAll({ take: 1 });
  out.connections = connections.data;
  const updated = await management.connections.update(
    { id: connectionId },
    { options: { ...(await management.connections.get({ id: connectionId })).data.options,
                 brute_force_protection: true } },
  );
  out.brute_force_protection = updated.data.options.brute_force_protection;
  const clients = await management.clients.getAll();
  out.client_ids = clients.data.map((c) => c.client_id);
  const grants = await management.clientGrants.getAll();
  out.grant_client_ids = grants.data.map((g) => g.client_id);
  const logs = await management.logs.getAll({ q: "type:sdu" });
  out.log_types = logs.data.map((l) => l.type);
  const template = await management.emailTemplates.create({
    template: "welcome_email",
    body: "<p>Hi</p>",
    from: "Acme <hello@acme.example>",
    subject: "Welcome",
    syntax: "liquid",
    enabled: true,
  });
  out.template = template.data.template;
  const settings = await management.tenants.updateSettings({ friendly_name: "Acme" });
  out.friendly_name = settings.data.friendly_name;
  // The jobs are queued here; the test runs the worker after the script and reads them again.
  const users = [{ email: "node-imported@example.com", user_id: "node-import-1" }];
  const imported = await management.jobs.importUsers({
    users: new Blob([JSON.stringify(users)], { type: "application/json" }),
    connection_id: connectionId,
    upsert: false,
    external_id: "node-1",
  });
  const importJob = await management.jobs.get({ id: imported.data.id });
  out.import_job = { id: importJob.data.id, status: importJob.data.status,
                     type: importJob.data.type, external_id: importJob.data.external_id };
  const exported = await management.jobs.exportUsers({ connection_id: connectionId, format: "csv" });
  out.export_job = { id: exported.data.id, status: exported.data.status,
                     format: exported.data.format };
  const toVerify = await management.users.create({
    connection: connectionName,
    email: "node-verify@example.com",
    password: "Granite-Orbit-73!",
  });
  const verifyTicket = await management.tickets.verifyEmail({ user_id: toVerify.data.user_id });
  out.verify_ticket = verifyTicket.data.ticket;
  const verifyJob = await management.jobs.verifyEmail({ user_id: toVerify.data.user_id });
  out.verify_job = { status: verifyJob.data.status, type: verifyJob.data.type };
  await management.emails.configure({
    name: "sendgrid",
    credentials: { api_key: "SG.node-secret" },
    default_from_address: "Acme <no-reply@acme.example>",
  });
  await management.emails.update({ enabled: false });
  const provider = await management.emails.get();
  out.email_provider = provider.data;
  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
  process.stderr.write(`${error.statusCode || ""} ${error.message} ${error.cause || ""} ${(error.cause && error.cause.cause) || ""}\n${error.body || ""}\n`);
  process.exit(1);
});
