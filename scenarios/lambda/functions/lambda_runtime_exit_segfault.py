# Crashes the interpreter while the module loads: recursion without a Python limit overflows
# the C stack.
import sys

sys.setrecursionlimit(10**6)


def descend(depth):
    return descend(depth + 1) + 1


descend(0)
