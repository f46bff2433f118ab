// Drives the platform with the official OpenWhisk JavaScript client (npm `openwhisk`).
// Env: OW_APIHOST (with http://), OW_AUTH ("uuid:key"), OW_PREFIX (unique entity name prefix).
// Prints one JSON line with what it observed; exits 1 with the error on any failure.
'use strict';
const openwhisk = require('openwhisk');

const prefix = process.env.OW_PREFIX || `js-${Date.now()}`;
const ow = openwhisk({ apihost: process.env.OW_APIHOST, api_key: process.env.OW_AUTH });
const actionName = `${prefix}-act`;
const triggerName = `${prefix}-trig`;
const ruleName = `${prefix}-rule`;
const webName = `${prefix}-web`;
const basepath = `/${prefix}-api`;
const code = [
  'def main(args):',
  "    print('js says', args.get('who'))",
  "    return {'greeting': 'hello ' + str(args.get('who', 'nobody'))}",
  '',
].join('\n');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(fn, what, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function main() {
  const out = {};
  const created = await ow.actions.create({ name: actionName, action: code, kind: 'python:3.11' });
  out.created = { name: created.name, kind: created.exec.kind, version: created.version };

  out.blockingResult = await ow.actions.invoke({ name: actionName, blocking: true, result: true, params: { who: 'blocking' } });
  const full = await ow.actions.invoke({ name: actionName, blocking: true, params: { who: 'full' } });
  out.blockingStatus = full.response.status;

  const nonBlocking = await ow.actions.invoke({ name: actionName, params: { who: 'async' } });
  out.nonBlockingId = nonBlocking.activationId;
  const asyncRecord = await waitFor(() => ow.activations.get({ name: nonBlocking.activationId }), 'async activation');
  out.nonBlockingResult = asyncRecord.response.result;
  const logs = await ow.activations.logs({ name: nonBlocking.activationId });
  out.logs = logs.logs;
  const result = await ow.activations.result({ name: nonBlocking.activationId });
  out.result = result.result;

  await ow.triggers.create({ name: triggerName });
  await ow.rules.create({ name: ruleName, action: actionName, trigger: triggerName });
  const fired = await ow.triggers.invoke({ name: triggerName, params: { who: 'trigger' } });
  out.triggerActivationId = fired.activationId;
  const ruled = await waitFor(async () => {
    const list = await ow.activations.list({ name: actionName, docs: true, limit: 50 });
    return list.find((a) => a.cause === fired.activationId);
  }, 'rule-invoked activation');
  out.ruleResult = ruled.response.result;
  const listed = await ow.activations.list({ name: actionName, limit: 50 });
  out.listedCount = listed.length;

  await ow.rules.disable({ name: ruleName });
  const quiet = await ow.triggers.invoke({ name: triggerName, params: {} });
  out.firedWhileDisabled = quiet === undefined || quiet === null || Object.keys(quiet).length === 0;

  try {
    await ow.actions.invoke({ name: `${prefix}-missing`, blocking: true });
    out.missingStatus = 200;
  } catch (err) {
    out.missingStatus = err.statusCode;
  }

  // API gateway routes (routes.create/list/get/delete call whisk.system/apimgmt), then the route itself
  await ow.actions.create({ name: webName, action: code, kind: 'python:3.11', annotations: { 'web-export': true } });
  const route = await ow.routes.create({ action: webName, basepath, relpath: '/hello', operation: 'GET' });
  out.routeUrl = route.value.gwApiUrl;
  const routes = await ow.routes.list({ basepath });
  const apidoc = routes.apis[0].value.apidoc;
  out.routeListed = { count: routes.apis.length, basePath: apidoc.basePath, action: apidoc.paths['/hello'].get['x-openwhisk'].action };
  out.routeGot = (await ow.routes.get({ basepath })).apis.length;
  const served = await fetch(`${out.routeUrl}/hello?who=route`);
  out.routeServed = { status: served.status, body: await served.json() };
  await ow.routes.delete({ basepath });
  out.routesAfterDelete = (await ow.routes.list({ basepath })).apis.length;
  out.routeAfterDelete = (await fetch(`${out.routeUrl}/hello`)).status;

  await ow.rules.delete({ name: ruleName });
  await ow.triggers.delete({ name: triggerName });
  await ow.actions.delete({ name: actionName });
  await ow.actions.delete({ name: webName });
  console.log(JSON.stringify(out));
}

main().catch(async (err) => {
  console.error(err && err.stack ? err.stack : err);
  for (const [kind, name] of [['rules', ruleName], ['triggers', triggerName], ['actions', actionName], ['actions', webName]]) {
    try { await ow[kind].delete({ name }); } catch (_) { /* cleaning up */ }
  }
  try { await ow.routes.delete({ basepath }); } catch (_) { /* cleaning up */ }
  process.exit(1);
});
