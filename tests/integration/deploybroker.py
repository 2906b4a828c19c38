"""
The broker of the deployment files (scripts/docker/mosquitto.conf and the
ConfigMap of scripts/k3s/broker.yaml), run for real: Debian's mosquitto
with the file's configuration, only its paths and port moved into the
test's directory, a small PKI made with openssl for its TLS listener, and
paho clients to speak to it.
"""
import getpass
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading

import paho.mqtt.client as mqtt

from conftest import free_port, wait_for

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def mosquitto_ok():
    return os.access(MOSQUITTO, os.X_OK)


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   capture_output=True)


def make_pki(d, clients):
    """In directory d: ca.pem (and ca.key), server.pem and server.key for
    127.0.0.1, and NAME.pem, NAME.key for each client, its CN NAME."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
          "-nodes"]
    openssl("req", "-x509", *ec, "-days", "2", "-subj", "/CN=outpost-test-ca",
            "-keyout", "ca.key", "-out", "ca.pem", cwd=d)
    for name, ext in [("server", "subjectAltName=IP:127.0.0.1")] + \
            [(c, None) for c in clients]:
        cn = "127.0.0.1" if name == "server" else name
        openssl("req", "-new", *ec, "-subj", "/CN=" + cn,
                "-keyout", name + ".key", "-out", name + ".csr", cwd=d)
        extra = []
        if ext:
            with open(os.path.join(d, name + ".ext"), "w") as fp:
                fp.write(ext + "\n")
            extra = ["-extfile", name + ".ext"]
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem",
                "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                "-out", name + ".pem", *extra, cwd=d)


class Broker:
    """mosquitto with conf_text, its listener's port replaced by a free
    one on 127.0.0.1 and every path of moves ({old: new}) replaced."""

    def __init__(self, tmp, conf_text, moves):
        self.port = free_port()
        text = conf_text
        for old, new in moves.items():
            text = text.replace(old, new)
        text, n = re.subn(r"^listener (\d+)(?: \S+)?$",
                          "listener %d 127.0.0.1" % self.port, text,
                          flags=re.M)
        assert n == 1, "one listener"
        # As root, mosquitto switches to the user mosquitto, who cannot
        # read the test's directory.
        self.conf = os.path.join(str(tmp), "mosquitto.conf")
        with open(self.conf, "w") as fp:
            fp.write("user %s\n" % getpass.getuser() + text)
        self.log = os.path.join(str(tmp), "mosquitto.log")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", self.conf],
                                     stdout=open(self.log, "w"),
                                     stderr=subprocess.STDOUT)
        wait_for(self._listening, what="mosquitto listening")

    def _listening(self):
        assert self.proc.poll() is None, self.output()
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def output(self):
        with open(self.log) as fp:
            return fp.read()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


class Client:
    """A paho client (MQTT 3.1.1, QoS 1) that keeps what it receives."""

    def __init__(self, broker, name, tls_dir=None):
        self.msgs = []
        self.lock = threading.Lock()
        self.rc = None
        self.gone = False
        self.subacks = {}
        self.c = mqtt.Client(client_id=name, protocol=mqtt.MQTTv311)
        if tls_dir:
            self.c.tls_set(ca_certs=os.path.join(tls_dir, "ca.pem"),
                           certfile=os.path.join(tls_dir, name + ".pem"),
                           keyfile=os.path.join(tls_dir, name + ".key"))
        self.c.on_connect = self._on_connect
        self.c.on_disconnect = self._on_disconnect
        self.c.on_message = self._on_message
        self.c.on_subscribe = self._on_subscribe
        self.c.reconnect_delay_set(60, 60)
        self.c.connect("127.0.0.1", broker.port, keepalive=30)
        self.c.loop_start()

    def _on_connect(self, c, userdata, flags, rc):
        self.rc = rc

    def _on_disconnect(self, c, userdata, rc):
        self.gone = True

    def _on_message(self, c, userdata, m):
        with self.lock:
            self.msgs.append((m.topic, m.payload.decode()))

    def _on_subscribe(self, c, userdata, mid, granted):
        self.subacks[mid] = granted

    def connected(self):
        wait_for(lambda: self.rc is not None or self.gone,
                 what="CONNACK or a closed connection")
        return self.rc == 0 and not self.gone

    def subscribe(self, *topics):
        """Subscribes, and returns the granted QoS of each (128: refused)."""
        out = []
        for t in topics:
            _, mid = self.c.subscribe(t, 1)
            out += wait_for(lambda: self.subacks.get(mid),
                            what="SUBACK of " + t)
        return out

    def publish(self, topic, payload):
        info = self.c.publish(topic, payload, qos=1)
        info.wait_for_publish(timeout=5)
        assert info.is_published(), "PUBACK of " + topic

    def got(self, payload):
        with self.lock:
            return [t for t, p in self.msgs if p == payload]

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


def refused_without_certificate(broker, tls_dir):
    """True when a TLS client that shows no certificate gets no session:
    the handshake fails, the connection closes, or the CONNACK refuses."""
    c = mqtt.Client(client_id="no-certificate", protocol=mqtt.MQTTv311)
    c.tls_set(ca_certs=os.path.join(tls_dir, "ca.pem"))
    acks = []
    c.on_connect = lambda client, userdata, flags, rc: acks.append(rc)
    try:
        c.connect("127.0.0.1", broker.port, keepalive=30)
        wait_for(lambda: c.loop(0.1) != mqtt.MQTT_ERR_SUCCESS or acks,
                 what="the broker's answer to a client without certificate")
    except (ssl.SSLError, OSError):
        return True
    finally:
        c.socket() and c.socket().close()
    return acks != [0]
