# Counts its invocations in module state, which survives while the environment is reused.
calls = 0


def handler(event, context):
    global calls
    answer = {"counter": calls}
    calls += 1
    return answer
