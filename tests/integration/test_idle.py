"""
An idle gateway sleeps: libcoap is driven from the reactor's one event on its
epoll fd, the sweep is armed for the next deadline only, and nothing polls.
Measured as wakeups (context switches) of every thread over a quiet spell,
not as time: an idle gateway makes none.
"""
import os
import time


def wakeups(pid):
    """Voluntary + involuntary context switches of all threads of pid."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/status" % (pid, tid)) as fp:
            for line in fp:
                if line.startswith(("voluntary_ctxt_switches",
                                    "nonvoluntary_ctxt_switches")):
                    total += int(line.split()[1])
    return total


def test_idle_gateway_does_not_wake_up(gateway):
    gw = gateway
    # Devices with long lifetimes, one in queue mode: their deadlines are
    # far ahead, so nothing is due during the quiet spell.
    gw.register("idle-a", lt=3600)
    gw.register("idle-b", lt=3600, b="UQ")
    assert gw.get_json("/v1/health")["devices"] == 2
    # The last exchanges (an HTTP connection closing, a commit) may still
    # wake it once; a polling timer would wake it in every span. So: one
    # quiet 2 s span out of three is enough, and none means it polls.
    seen = []
    for _ in range(3):
        before = wakeups(gw.proc.pid)
        time.sleep(2.0)     # the absence of events needs a span to be seen
        seen.append(wakeups(gw.proc.pid) - before)
        if seen[-1] == 0:
            break
    assert seen[-1] == 0, "an idle gateway woke up in every span: %s" % seen
