# Raises with the message the invoke payload asks for.
def handler(event, context):
    raise Exception(f"Failed: {event['error_msg']}")
