# Returns the event it was given (the recordings' echo handler).
def handler(event, context):
    print(event)
    return event
