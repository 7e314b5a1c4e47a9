# Answers with the event it was given, under "event".
def handler(event, context):
    return {"event": event}
