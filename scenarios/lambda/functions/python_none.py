# Returns nothing: the invoke answers with the payload "null".
def handler(event, context):
    print(event)
