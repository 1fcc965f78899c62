"""Ending a client's TCP connection without a reset (RFC 9293 section 3.6: FIN first, close after the peer's).

A socket closed with unread data, or one that data reaches after it was closed, makes the kernel answer with a
reset (RST). A peer that had not seen our FIN before then reads ECONNRESET or fails its write with EPIPE, which a
fragile server treats as fatal: Debian's sipp 3.6 TCP responder (the tests' stand-in for sipX) exits on it.
:meth:`Closer.close` therefore sends our FIN at once (``shutdown(SHUT_WR)``); one background thread then reads and
discards what still arrives (a late answer) until the peer closes too, at most ``linger`` seconds, and only then
closes the socket. The caller never waits. The thread ends when no connection is left; it is not a daemon, so a
process that exits (also a multiprocessing child, such as a Salt job) first lets it finish, ``linger`` s at most.
"""

from __future__ import annotations

import os
import selectors
import socket
import threading
import time

LINGER = 5.0  #: seconds a connection is drained, waiting for the peer's close, before it is closed anyway
POLL = 0.05  #: seconds between the thread's looks for newly handed connections
READS = 16  #: reads per wake-up of one connection (a peer that floods cannot hold the thread)


class Closer:
    """Closes TCP connections gently, in the background (see the module's docstring)."""

    def __init__(self, linger: float = LINGER) -> None:
        self.linger = linger
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._handed: list[socket.socket] = []  #: handed over, not yet taken by the thread
        self._open = 0  #: handed over, not yet closed
        self._thread: threading.Thread | None = None

    def close(self, sock: socket.socket) -> None:
        """Send our FIN now; close ``sock`` once its peer has closed too, or after ``linger`` s."""
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.setblocking(False)
        except OSError:  # never connected, or reset already: nothing left to end gently
            sock.close()
            return
        with self._lock:
            self._handed.append(sock)
            self._open += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sipxha-tcpclose")
                self._thread.start()

    def pending(self) -> int:
        """How many handed connections are not closed yet."""
        with self._lock:
            return self._open

    def wait(self, timeout: float) -> bool:
        """Wait at most ``timeout`` s until every handed connection is closed; True when none is left."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.pending() == 0

    def _run(self) -> None:
        with selectors.DefaultSelector() as selector:
            while True:
                with self._lock:
                    handed, self._handed = self._handed, []
                    if not self._open:
                        self._thread = None
                        return
                for sock in handed:
                    selector.register(sock, selectors.EVENT_READ, time.monotonic() + self.linger)
                ready = {key.fileobj for key, _ in selector.select(POLL)}
                now = time.monotonic()
                for key in list(selector.get_map().values()):
                    if (key.fileobj in ready and _drained(key.fileobj)) or now > key.data:  # type: ignore[arg-type]
                        selector.unregister(key.fileobj)
                        key.fileobj.close()  # type: ignore[union-attr]
                        with self._lock:
                            self._open -= 1


def _drained(sock: socket.socket) -> bool:
    """Read and discard what arrived; True once the peer has closed (or reset) its side."""
    try:
        for _ in range(READS):
            if not sock.recv(65536):
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True
    return False


CLOSER = Closer()  #: the process's closer (shared by every probe)
os.register_at_fork(after_in_child=CLOSER._reset)  # a child has no thread; a lock held at the fork stays held
