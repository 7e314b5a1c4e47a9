# Answers with the code label packed next to it (version.txt) and what the context says about
# the invoked version.
import os

with open(os.path.join(os.path.dirname(__file__), "version.txt")) as f:
    VERSION_ID = f.read().strip()


def handler(event, context):
    return {
        "version_id": VERSION_ID,
        "invoked_arn": context.invoked_function_arn,
        "version_from_ctx": context.function_version,
    }
