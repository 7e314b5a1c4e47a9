# Answers with the runtime's Python version, named like the runtime ("python3.12").
import sys


def handler(event, context):
    return {"version": "python{}.{}".format(*sys.version_info[:2])}
