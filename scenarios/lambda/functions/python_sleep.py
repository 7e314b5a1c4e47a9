# Sleeps for event["wait"] seconds, then answers.
import time


def handler(event, context):
    time.sleep(event["wait"])
    return {"slept": event["wait"]}
