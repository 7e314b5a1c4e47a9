# Reports the process's resource limits (soft, hard) as RLIMIT_<name> entries.
import resource

NAMES = ["AS", "CORE", "CPU", "DATA", "FSIZE", "MEMLOCK", "NOFILE", "NPROC", "RSS", "STACK"]


def handler(event, context):
    limits = {}
    for name in NAMES:
        key = f"RLIMIT_{name}"
        limits[key] = list(resource.getrlimit(getattr(resource, key)))
    return limits
