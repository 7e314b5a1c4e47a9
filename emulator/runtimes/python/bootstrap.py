"""paritytest's Lambda runtime for python: a Runtime API client that loads the handler named by
_HANDLER from LAMBDA_TASK_ROOT and serves invocations until the process is ended.

Part of paritytest (Apache-2.0). Uses only the standard library so any python3 can run it.
"""
import importlib
import json
import os
import socket
import sys
import time

# The emulator hands its Runtime API address over privately (the function sees AWS's value in
# AWS_LAMBDA_RUNTIME_API), and, outside AWS's filesystem layout, where the layers are. Neither
# stays in the environment the handler sees.
API = os.environ.pop("_PARITYTEST_RUNTIME_API", None) or os.environ["AWS_LAMBDA_RUNTIME_API"]
OPT = os.environ.pop("_PARITYTEST_OPT_DIR", "/opt")
HOST, PORT = API.rsplit(":", 1)
PREFIX = "/2018-06-01/runtime"


class _Response:
    def __init__(self, status, headers):
        self.status = status
        self._headers = headers

    def getheader(self, name):
        return self._headers.get(name.lower())


class _Connection:
    """A kept-alive HTTP/1.1 connection to the Runtime API. Hand-written on a socket because
    http.client pulls in the email package, which doubles the interpreter's cold start."""

    def __init__(self):
        self.sock = socket.create_connection((HOST, int(PORT)))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb")

    def request(self, method, path, body=b"", headers=None):
        head = "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n" % (method, path, API, len(body))
        for k, v in (headers or {}).items():
            head += "%s: %s\r\n" % (k, v)
        self.sock.sendall(head.encode("latin-1") + b"\r\n" + body)
        status_line = self.reader.readline()
        if not status_line:
            raise ConnectionError("runtime API closed the connection")
        status = int(status_line.split()[1])
        headers = {}
        while True:
            line = self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        data = self.reader.read(int(headers.get("content-length", "0")))
        return _Response(status, headers), data


_conn = None


def _request(method, path, body=b"", headers=None):
    """One call to the Runtime API (reconnects once if the connection dropped)."""
    global _conn
    if isinstance(body, str):
        body = body.encode("utf-8")
    for attempt in (0, 1):
        try:
            if _conn is None:
                _conn = _Connection()
            return _conn.request(method, PREFIX + path, body, headers)
        except OSError:
            _conn = None
            if attempt:
                raise


def _post(path, payload, error_type=None):
    sys.stdout.flush()
    sys.stderr.flush()
    headers = {"Content-Type": "application/json"}
    if error_type:
        headers["Lambda-Runtime-Function-Error-Type"] = error_type
    _request("POST", path, body=payload, headers=headers)


# AWS's python3.8 runtime predates requestId in error payloads (the recordings show it
# missing there and present from python3.11 on).
_ERRORS_WITHOUT_REQUEST_ID = os.environ.get("AWS_EXECUTION_ENV") == "AWS_Lambda_python3.8"


def _format_frame(frame):
    """One stack entry as AWS's runtimes show it on every python version: file, line and
    source, without the column markers (~~^^) that traceback adds since 3.11."""
    text = '  File "%s", line %s, in %s\n' % (frame.filename, frame.lineno, frame.name)
    if frame.line:
        text += "    %s\n" % frame.line.strip()
    return text


def _error_body(exc, request_id, drop_frames=1):
    import traceback  # only errors pay for it

    tb = traceback.extract_tb(exc.__traceback__)[drop_frames:]
    body = {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": [_format_frame(f) for f in tb],
    }
    if _ERRORS_WITHOUT_REQUEST_ID:
        del body["requestId"]
    return body


def _log_error(body):
    lines = ["[ERROR] %s: %s" % (body["errorType"], body["errorMessage"])]
    if body.get("stackTrace"):
        lines.append("Traceback (most recent call last):")
        lines.extend(s.rstrip("\n") for s in body["stackTrace"])
    print("\r".join(lines), flush=True)


class LambdaContext:
    def __init__(self, request_id, deadline_ms, invoked_arn, client_context):
        self.aws_request_id = request_id
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_arn
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        self.client_context = json.loads(client_context) if client_context else None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(int(self._deadline_ms - time.time() * 1000), 0)


def _load_handler():
    handler = os.environ.get("_HANDLER", "")
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    opt = OPT
    version = "python%d.%d" % sys.version_info[:2]
    # Started with -S (no site processing: .pth files cost more than the rest of the start);
    # the interpreter's site-packages stay importable, after the function's own code.
    import site

    for p in site.getsitepackages():
        if p not in sys.path:
            sys.path.append(p)
    for p in reversed([
        task_root,
        os.path.join(opt, "python"),
        os.path.join(opt, "python", "lib", version, "site-packages"),
    ]):
        if p not in sys.path:
            sys.path.insert(0, p)
    # sys.path now starts with the task root, then the layer dirs.
    sys.path.remove(task_root)
    sys.path.insert(0, task_root)
    module_name, _, function_name = handler.rpartition(".")
    if not module_name:
        raise _InitFailure("Runtime.MalformedHandlerName",
                           "Bad handler '%s': not enough values to unpack (expected 2, got 1)" % handler)
    module_name = module_name.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name == module_name or module_name.startswith((e.name or "") + "."):
            raise _InitFailure("Runtime.ImportModuleError",
                               "Unable to import module '%s': No module named '%s'" % (module_name, e.name))
        raise
    fn = getattr(module, function_name, None)
    if fn is None:
        raise _InitFailure("Runtime.HandlerNotFound",
                           "Handler '%s' missing on module '%s'" % (function_name, module_name))
    return fn


class _InitFailure(Exception):
    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type
        self.message = message


# The resource limits of AWS's sandbox (the runtime ulimits recording); handlers that read
# or depend on them see AWS's values rather than the host's.
_SANDBOX_LIMITS = {
    "RLIMIT_CORE": 10737418240,
    "RLIMIT_MEMLOCK": 65536,
    "RLIMIT_NOFILE": 1024,
    "RLIMIT_NPROC": 742,
}


def _apply_sandbox_limits():
    try:
        import resource
    except ImportError:  # not a POSIX host: keep the host's limits
        return
    for name, value in _SANDBOX_LIMITS.items():
        try:
            resource.setrlimit(getattr(resource, name), (value, value))
        except (AttributeError, ValueError, OSError):
            # A host whose hard limit is below AWS's keeps its own (raising needs privilege).
            pass


def main():
    _apply_sandbox_limits()
    try:
        handler = _load_handler()
    except _InitFailure as f:
        body = {"errorMessage": f.message, "errorType": f.error_type, "requestId": "", "stackTrace": []}
        _log_error(body)
        _post("/init/error", json.dumps(body), f.error_type)
        return 1
    except Exception as e:  # an exception raised while importing the user's module
        body = _error_body(e, "", drop_frames=2)
        _log_error(body)
        _post("/init/error", json.dumps(body), "Runtime.Unknown")
        return 1

    while True:
        resp, event_bytes = _request("GET", "/invocation/next")
        if resp.status != 200:
            return 0
        request_id = resp.getheader("Lambda-Runtime-Aws-Request-Id")
        os.environ["_X_AMZN_TRACE_ID"] = resp.getheader("Lambda-Runtime-Trace-Id") or ""
        context = LambdaContext(
            request_id,
            int(resp.getheader("Lambda-Runtime-Deadline-Ms") or 0),
            resp.getheader("Lambda-Runtime-Invoked-Function-Arn"),
            resp.getheader("Lambda-Runtime-Client-Context"),
        )
        try:
            event = json.loads(event_bytes) if event_bytes else {}
            result = handler(event, context)
        except Exception as e:
            body = _error_body(e, request_id)
            _log_error(body)
            _post("/invocation/%s/error" % request_id, json.dumps(body), "Runtime.Unhandled")
            continue
        try:
            payload = json.dumps(result)
        except Exception as e:
            body = {
                "errorMessage": "Unable to marshal response: %s" % e,
                "errorType": "Runtime.MarshalError",
                "requestId": request_id,
                "stackTrace": [],
            }
            _log_error(body)
            _post("/invocation/%s/error" % request_id, json.dumps(body), "Runtime.MarshalError")
            continue
        _post("/invocation/%s/response" % request_id, payload)


if __name__ == "__main__":
    sys.exit(main())
