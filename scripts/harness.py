"""What the benchmark scripts share: a free loopback port and progress lines on standard error."""
import socket
import sys


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(text):
    print(text, file=sys.stderr, flush=True)
