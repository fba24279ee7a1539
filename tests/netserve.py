"""netserve.py - the socket helpers of the live tests' servers and clients.

    import netserve
    netserve.serve(addr, port, handler)

listens on addr:port and runs handler(conn) in a thread of its own for
every connection accepted, so one slow or held connection never blocks the
next; netserve.recv_all(sock) reads until the peer closes. Used by the
scripts t_live.sh, t_control.sh, t_halfclose.sh and t_workers.sh run in
their namespaces (with PYTHONPATH naming tests/).
"""
import socket
import threading


def serve(addr, port, handler, backlog=16):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(backlog)

    def loop():
        while True:
            c, _ = s.accept()
            threading.Thread(target=handler, args=(c,), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()


def recv_all(s):
    """Everything the peer sends until it closes its side."""
    data = b''
    while True:
        d = s.recv(65536)
        if not d:
            return data
        data += d
