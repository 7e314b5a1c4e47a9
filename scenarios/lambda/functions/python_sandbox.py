# Describes the sandbox: user, platform, working directory and the owners and modes of a few
# well-known paths ("/var/task" → "_var_task_mode", ...).
import getpass
import os
import platform
import pwd
import stat
import subprocess

PATHS = ["/var/task", "/opt", "/tmp", "/lambda-entrypoint.sh"]


def handler(event, context):
    paths = {}
    for path in PATHS:
        key = path.replace("/", "_")
        try:
            st = os.stat(path)
        except OSError:
            continue
        paths[f"{key}_mode"] = stat.filemode(st.st_mode)
        paths[f"{key}_uid"] = st.st_uid
        paths[f"{key}_owner"] = pwd.getpwuid(st.st_uid).pw_name
        paths[f"{key}_gid"] = st.st_gid
    return {
        "event": event,
        "user_login_name": getpass.getuser(),
        "user_whoami": subprocess.run(["whoami"], capture_output=True, text=True).stdout.strip(),
        "platform_system": platform.system(),
        "platform_machine": platform.machine(),
        "pwd": os.getcwd(),
        "paths": paths,
    }
