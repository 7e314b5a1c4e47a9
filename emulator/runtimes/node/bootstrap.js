// paritytest's Lambda runtime for Node.js: a Runtime API client that loads the handler named by
// _HANDLER from LAMBDA_TASK_ROOT (CommonJS or ES module) and serves invocations until the process
// is ended. Part of paritytest (Apache-2.0). Standard library only.
'use strict';

const http = require('http');
const path = require('path');
const fs = require('fs');
const { pathToFileURL } = require('url');

// The emulator hands its Runtime API address over privately (the function sees AWS's value in
// AWS_LAMBDA_RUNTIME_API); it does not stay in the environment the handler sees.
const [HOST, PORT] = (() => {
  const api = process.env._PARITYTEST_RUNTIME_API || process.env.AWS_LAMBDA_RUNTIME_API;
  delete process.env._PARITYTEST_RUNTIME_API;
  const i = api.lastIndexOf(':');
  return [api.slice(0, i), Number(api.slice(i + 1))];
})();
const PREFIX = '/2018-06-01/runtime';
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(method, urlPath, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: HOST, port: PORT, method, path: PREFIX + urlPath, agent, headers: headers || {} },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ res, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function post(urlPath, payload, errorType) {
  const headers = { 'Content-Type': 'application/json' };
  if (errorType) headers['Lambda-Runtime-Function-Error-Type'] = errorType;
  return call('POST', urlPath, payload, headers);
}

function errorBody(err) {
  if (err instanceof Error) {
    return {
      errorType: err.name,
      errorMessage: err.message,
      trace: (err.stack || '').split('\n'),
    };
  }
  return { errorType: 'string', errorMessage: String(err), trace: [] };
}

function logError(body) {
  console.error(`\tERROR\tInvoke Error \t${JSON.stringify(body)}`);
}

function resolveModuleFile(taskRoot, modulePath) {
  for (const ext of ['.js', '.mjs', '.cjs']) {
    const f = path.resolve(taskRoot, modulePath + ext);
    if (fs.existsSync(f)) return f;
  }
  return null;
}

async function loadHandler() {
  const handler = process.env._HANDLER || '';
  const taskRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();
  const dot = handler.lastIndexOf('.');
  if (dot < 0) {
    const e = new Error(`Bad handler ${handler}`);
    e.name = 'Runtime.MalformedHandlerName';
    throw e;
  }
  const modulePath = handler.slice(0, dot);
  const fnPath = handler.slice(dot + 1).split('.');
  const file = resolveModuleFile(taskRoot, modulePath);
  if (!file) {
    const e = new Error(`Cannot find module '${modulePath}'`);
    e.name = 'Runtime.ImportModuleError';
    throw e;
  }
  let mod = await import(pathToFileURL(file).href);
  let fn = mod;
  for (const p of fnPath) fn = fn == null ? undefined : (fn[p] !== undefined ? fn[p] : (fn.default || {})[p]);
  if (typeof fn !== 'function') {
    const e = new Error(`${modulePath}.${fnPath.join('.')} is undefined or not exported`);
    e.name = 'Runtime.HandlerNotFound';
    throw e;
  }
  return fn;
}

function makeContext(headers) {
  const deadline = Number(headers['lambda-runtime-deadline-ms'] || 0);
  const cc = headers['lambda-runtime-client-context'];
  return {
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: cc ? JSON.parse(cc) : undefined,
    identity: undefined,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
  };
}

function runHandler(fn, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err, result) => {
      if (settled) return;
      settled = true;
      if (err !== undefined && err !== null) reject(err);
      else resolve(result);
    };
    context.done = callback;
    context.succeed = (r) => callback(null, r);
    context.fail = (e) => callback(e);
    try {
      const out = fn(event, context, callback);
      if (out && typeof out.then === 'function') {
        out.then((r) => callback(null, r), (e) => callback(e === undefined ? new Error('undefined') : e));
      } else if (fn.length < 3) {
        callback(null, out);
      }
    } catch (e) {
      callback(e);
    }
  });
}

async function main() {
  let fn;
  try {
    fn = await loadHandler();
  } catch (e) {
    const body = errorBody(e);
    logError(body);
    await post('/init/error', JSON.stringify(body), body.errorType);
    process.exit(1);
  }
  for (;;) {
    const { res, body } = await call('GET', '/invocation/next');
    if (res.statusCode !== 200) process.exit(0);
    const id = res.headers['lambda-runtime-aws-request-id'];
    process.env._X_AMZN_TRACE_ID = res.headers['lambda-runtime-trace-id'] || '';
    const context = makeContext(res.headers);
    let event;
    try {
      event = body.length ? JSON.parse(body.toString('utf8')) : {};
    } catch (e) {
      event = body.toString('utf8');
    }
    try {
      const result = await runHandler(fn, event, context);
      const payload = result === undefined ? 'null' : JSON.stringify(result);
      await post(`/invocation/${id}/response`, payload);
    } catch (e) {
      const errBody = errorBody(e);
      logError(errBody);
      await post(`/invocation/${id}/error`, JSON.stringify(errBody), errBody.errorType);
    }
  }
}

process.on('unhandledRejection', (e) => {
  console.error(e);
});

main();
