"""The LMS's own path: the Open edX drop-in (``ServiceUserStateClient``) reading
100 problems of one learner per ``get_many``, in series, as one LMS process
does per page view. Prints one JSON line: calls, wall and process (CPU) time
per call, and the states and fields read, so that the benchmark can check
the work was done.

Run by ``npm run bench`` (bench/python-client.ts) with Debian's python3, the
client from clients/python and the Open edX packages from
../shared/openedx-python on ``PYTHONPATH``::

    python3 bench/python_get_many.py <host:port> <username> <calls> <warmup> <key> [<key> ...]
"""

import json
import sys
import time

from opaque_keys.edx.keys import UsageKey
from xblock.fields import Scope

from learnerstate_client.openedx import ServiceUserStateClient


def main():
    target, username, calls, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    keys = [UsageKey.from_string(text) for text in sys.argv[5:]]
    client = ServiceUserStateClient(target, timeout=30)
    try:
        for _ in range(warmup):
            list(client.get_many(username, keys, Scope.user_state))
        states = fields = 0
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(calls):
            for state in client.get_many(username, keys, Scope.user_state):
                states += 1
                fields += len(state.state)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        client.close()
    print(json.dumps({"calls": calls, "wallMsPerCall": wall * 1000 / calls, "cpuMsPerCall": cpu * 1000 / calls, "states": states, "fields": fields}))


if __name__ == "__main__":
    main()
