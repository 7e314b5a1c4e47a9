# Answers with how its environment was started (on-demand or provisioned-concurrency).
import os
import time


def handler(event, context):
    if event.get("wait"):
        time.sleep(event["wait"])
    return os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"]
