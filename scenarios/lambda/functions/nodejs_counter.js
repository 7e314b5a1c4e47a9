// Counts its invocations in module state, which survives while the environment is reused.
let calls = 0;

exports.handler = async () => ({ counter: calls++ });
