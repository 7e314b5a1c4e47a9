# Second code revision for update tests: answers with the runtime's Python version.
import sys


def handler(event, context):
    return {"version": "{}.{}".format(*sys.version_info[:2])}
