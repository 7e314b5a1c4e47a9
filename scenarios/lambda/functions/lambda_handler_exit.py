import sys


# Ends the runtime process from inside the handler, with status 0.
def handler(event, context):
    sys.exit(0)
