"""gunicorn's worker for ``educluster serve``: one request at a time, connections kept alive.

gunicorn's sync worker answers one request per connection: it accepts, reads the
request, answers, then half-closes and waits for the client to close before it accepts
the next one.  A client that sends many small queries pays for a new TCP connection each
time, and the worker sits idle while the client reads the answer and closes.  gunicorn's
threaded worker keeps connections alive, but it accepts new connections while its thread
is busy (queueing them behind a slow query) and hands every request to a thread.

``KeepAliveWorker`` keeps what the time limit needs from the sync worker (one request at a
time, in the main thread; ``educluster.limits`` ends the process when a query overruns)
and keeps connections alive between requests:

- the worker waits, in one ``select``, for a new connection on the listening socket *or*
  for the next request on one of its idle kept-alive connections, and serves whichever
  comes; it accepts only when it is idle, so a new connection never waits behind a slow
  query while another worker is free (the listening socket is shared by the workers);
- an idle connection is closed after ``keep_alive`` seconds, when the worker stops, and
  when the worker already holds ``MAX_IDLE`` of them (the answer then says
  ``Connection: close``);
- a request that arrives on a kept-alive connection while its worker is busy waits for
  that worker (at most the query time limit): the price of keep-alive, see
  docs/server.md.  When the time limit ends the worker, the requests waiting on its
  other connections are answered ``503`` with ``Retry-After`` (they never ran: sending
  them again is safe) and its idle connections are closed (``limits.set_bystanders``).

With the ``keep_alive`` setting at 0, ``educluster serve`` uses gunicorn's sync worker
instead (one connection per request).
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import socket
import ssl
import sys
import time
from datetime import datetime

from gunicorn import http, sock, util
from gunicorn.http import wsgi
from gunicorn.workers import base

from educluster import limits

#: the most idle kept-alive connections one worker holds; past it, answers close
MAX_IDLE = 200
#: a worker that finds this many of its other connections waiting with a request when
#: it starts one closes the connection after answering it: the client reconnects and the
#: listening socket, shared by every worker, hands it to a worker with time for it (kept-
#: alive connections would otherwise stay with the worker that happened to accept them)
REBALANCE_WAITING = 2
#: seconds a body left unread by the application may take to drain before the
#: connection is closed instead of kept
DRAIN_SECONDS = 5.0


#: seconds between two of the worker's heartbeats to the arbiter (a file's time stamp set
#: by ``notify``, a system call) while requests keep it busy: far below gunicorn's own
#: timeout (at least 30 s), which only catches a worker hung outside a query
HEARTBEAT_SECONDS = 1.0


class _Connection:
    """A client connection: blocking, and registered with the worker's poller from its
    first idle moment until it is closed (whether idle or busy is ``KeepAliveWorker.idle``),
    so that a kept-alive request costs no system calls to switch modes or re-register."""

    __slots__ = ("addr", "idle_until", "parser", "registered", "server", "sock")

    def __init__(self, client: socket.socket, addr, server) -> None:
        self.sock = client
        self.addr = addr
        self.server = server
        self.parser = None
        self.idle_until = 0.0
        self.registered = False


class _HeadHeldBack:
    """The connection's socket for gunicorn's ``Response``, holding back the first write
    (the response head) to send it with the next one (the body, or its first piece): one
    write and one TCP segment instead of two, and one wake-up less for the client."""

    __slots__ = ("_held", "_started", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._held: bytes | None = None
        self._started = False

    def sendall(self, data) -> None:
        if not self._started:
            self._started = True
            self._held = bytes(data)
        elif self._held is not None:
            held, self._held = self._held, None
            self.sock.sendall(held + bytes(data))
        else:
            self.sock.sendall(data)

    def flush(self) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            self.sock.sendall(held)

    def sendfile(self, *args, **kwargs):
        self.flush()
        return self.sock.sendfile(*args, **kwargs)

    def __getattr__(self, name: str):
        self.flush()
        return getattr(self.sock, name)


class KeepAliveWorker(base.Worker):
    """One request at a time per process; connections kept alive between requests."""

    def init_process(self) -> None:
        self.poller = selectors.DefaultSelector()
        self.idle: dict[socket.socket, _Connection] = {}  # in the order they became idle
        super().init_process()

    # -- the loop ----------------------------------------------------------------------
    def run(self) -> None:
        for listener in self.sockets:
            listener.setblocking(False)
            self.poller.register(listener, selectors.EVENT_READ, None)
        self.poller.register(self.PIPE[0], selectors.EVENT_READ, "wakeup")
        limits.set_bystanders(self._bystanders)
        self._last_notify = 0.0
        try:
            while self.alive:
                self._heartbeat()
                try:
                    events = self.poller.select(self._wait_time())
                except InterruptedError:
                    events = []
                for key, _ in events:
                    if not self.alive:
                        break
                    if key.data == "wakeup":
                        self._drain_wakeup()
                    elif key.data is None:
                        self._accept(key.fileobj)
                    elif key.fileobj in self.idle:
                        self._resume(key.data)  # (an event of a busy one is stale)
                if not self.is_parent_alive():
                    break
                self._close_expired()
        finally:
            limits.set_bystanders(None)
            for connection in list(self.idle.values()):
                self._close(connection)

    def _heartbeat(self) -> None:
        """``notify`` the arbiter, at most every ``HEARTBEAT_SECONDS``."""
        now = time.monotonic()
        if now - self._last_notify >= HEARTBEAT_SECONDS:
            self._last_notify = now
            self.notify()

    def is_parent_alive(self) -> bool:
        if self.ppid != os.getppid():  # the arbiter is gone: stop
            self.log.info("Parent changed, shutting down: %s", self)
            return False
        return True

    def _wait_time(self) -> float:
        timeout = 1.0
        if self.idle:
            oldest = next(iter(self.idle.values()))
            timeout = min(timeout, max(0.0, oldest.idle_until - time.monotonic()))
        return timeout

    def _drain_wakeup(self) -> None:
        try:
            while os.read(self.PIPE[0], 64):
                pass
        except OSError:
            pass

    def _close_expired(self) -> None:
        now = time.monotonic()
        while self.idle:
            connection = next(iter(self.idle.values()))
            if connection.idle_until > now:
                break
            self._close(connection)

    def _close(self, connection: _Connection, *, graceful: bool = False) -> None:
        """Forget the connection, take it off the poller and close it."""
        self.idle.pop(connection.sock, None)
        if connection.registered:
            connection.registered = False
            with contextlib.suppress(KeyError, ValueError, OSError):
                self.poller.unregister(connection.sock)
        if graceful:
            util.close_graceful(connection.sock)
        else:
            util.close(connection.sock)

    def _accept(self, listener: socket.socket) -> None:
        try:
            client, addr = listener.accept()
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                return  # another worker took it
            raise
        util.close_on_exec(client)
        client.setblocking(True)  # for good: gunicorn's parser reads it so
        self._serve(_Connection(client, addr, listener.getsockname()))

    def _resume(self, connection: _Connection) -> None:
        del self.idle[connection.sock]  # busy now; it stays on the poller
        self._serve(connection)

    # -- one connection ------------------------------------------------------------------
    def _serve(self, connection: _Connection) -> None:
        """Answer the requests the connection has sent; then keep it idle or close it."""
        keep = False
        req = None
        client = connection.sock
        try:
            if connection.parser is None:
                if self.cfg.is_ssl:
                    connection.sock = client = sock.ssl_wrap_socket(client, self.cfg)
                connection.parser = http.get_parser(self.cfg, client, connection.addr)
            while True:
                req = next(connection.parser)
                keep = self._handle_request(connection, req)
                if keep:
                    keep = bool(connection.parser.finish_body(
                        deadline=time.monotonic() + DRAIN_SECONDS))
                if not keep or not self.alive:
                    break
                if not connection.parser.unreader.buf.getvalue():
                    break  # nothing more sent yet: wait for it with the others
                req = None  # a pipelined request is already here: answer it now
                self._heartbeat()
        except http.errors.NoMoreData as exc:
            self.log.debug("Ignored premature client disconnection. %s", exc)
            keep = False
        except StopIteration as exc:
            self.log.debug("Closing connection. %s", exc)
            keep = False
        except ssl.SSLError as exc:
            keep = False
            if exc.args[0] != ssl.SSL_ERROR_EOF:
                self.handle_error(req, client, connection.addr, exc)
        except OSError as exc:
            keep = False
            if exc.errno not in (errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN):
                self.log.exception("Socket error processing request.")
        except BaseException as exc:
            keep = False
            self.handle_error(req, client, connection.addr, exc)
        if keep and self.alive and len(self.idle) < MAX_IDLE:
            try:
                if not connection.registered:
                    self.poller.register(client, selectors.EVENT_READ, connection)
                    connection.registered = True
                connection.idle_until = time.monotonic() + self.cfg.keepalive
                self.idle[client] = connection
                return
            except (OSError, ValueError):
                pass
        self._close(connection, graceful=True)

    def _handle_request(self, connection: _Connection, req) -> bool:
        """gunicorn's sync ``handle_request`` without forcing the connection closed;
        returns whether it may be kept alive."""
        environ: dict = {}
        resp = None
        try:
            self.cfg.pre_request(self, req)
            request_start = datetime.now()
            resp, environ = wsgi.create(req, connection.sock, connection.addr,
                                        connection.server, self.cfg)
            # (the time limit's 503 goes to the socket itself: environ["gunicorn.socket"])
            resp.sock = out = _HeadHeldBack(connection.sock)
            self.nr += 1
            if self.nr >= self.max_requests:
                self.log.info("Autorestarting worker after current request.")
                self.alive = False
            if (not self.alive or not self.cfg.keepalive or len(self.idle) >= MAX_IDLE
                    or self._waiting() >= REBALANCE_WAITING):
                resp.force_close()
            respiter = self.wsgi(environ, resp.start_response)
            try:
                if isinstance(respiter, environ["wsgi.file_wrapper"]):
                    resp.write_file(respiter)
                else:
                    for item in respiter:
                        resp.write(item)
                resp.close()
            finally:
                out.flush()
                self.log.access(resp, req, environ, datetime.now() - request_start)
                if hasattr(respiter, "close"):
                    respiter.close()
            return not resp.should_close()
        except OSError:
            util.reraise(*sys.exc_info())
        except (Exception, SystemExit):
            if resp and resp.headers_sent:
                # the answer has begun: a 500 on the same connection would corrupt it
                self.log.exception("Error handling request")
                util.close_graceful(connection.sock)
                raise StopIteration() from None
            raise
        finally:
            try:
                self.cfg.post_request(self, req, environ, resp)
            except Exception:
                self.log.exception("Exception in post_request hook")
        return False  # pragma: no cover - every path above returns or raises

    def _waiting(self) -> int:
        """How many of the idle kept-alive connections have sent a request already (not
        looked for when fewer than ``REBALANCE_WAITING`` are idle: a system call saved on
        most requests)."""
        if len(self.idle) < REBALANCE_WAITING:
            return 0
        try:
            events = self.poller.select(0)
        except OSError:
            return 0
        return sum(1 for key, _ in events if key.fileobj in self.idle)

    # -- when the time limit ends the worker -------------------------------------------
    def _bystanders(self) -> list[socket.socket]:
        """The idle kept-alive connections (called from the watchdog thread)."""
        return [connection.sock for connection in list(self.idle.values())]
