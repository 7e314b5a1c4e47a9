# Answers with a string of `bytenum` "a" characters.
def handler(event, context):
    return "a" * event["bytenum"]
