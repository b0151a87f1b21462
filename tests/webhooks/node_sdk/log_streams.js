// Auth0's npm SDK (`auth0`) logStreams methods against a live Rekey: only the domain changes
// (the fetch turns the SDK's https:// into http:// for the plain-HTTP test server).
// Usage: node log_streams.js DOMAIN TOKEN RECEIVER_URL
const { ManagementClient } = require("auth0");

const [domain, token, receiverUrl] = process.argv.slice(2);
const toHttp = (url) => String(url).replace(/^https:\/\//, "http://");
const fetchOverHttp = (input, init) =>
  input instanceof Request
    ? fetch(new Request(toHttp(input.url), input), init)
    : fetch(toHttp(input), init);
const management = new ManagementClient({ domain, token, fetch: fetchOverHttp });

async function main() {
  const out = {};
  const created = await management.logStreams.create({
    name: "SIEM from node",
    type: "http",
    sink: {
      httpEndpoint: receiverUrl,
      httpContentType: "application/json",
      httpContentFormat: "JSONARRAY",
      httpAuthorization: "Bearer node",
    },
    filters: [{ type: "category", name: "user.notification" }],
  });
  out.created = created.data;
  out.listed = (await management.logStreams.getAll()).data.map((s) => s.id);
  out.got = (await management.logStreams.get({ id: created.data.id })).data.name;
  out.paused = (await management.logStreams.update({ id: created.data.id }, { status: "paused" })).data.status;
  await management.logStreams.delete({ id: created.data.id });
  out.deleted = true;
  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
  process.stderr.write(`${error.statusCode || ""} ${error.message}\n${error.body || ""}\n`);
  process.exit(1);
});
