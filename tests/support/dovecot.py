"""A private Dovecot IMAP server for tests: loopback port, passwd-file users, maildirs in a temp dir.

As an ordinary user, every Dovecot process runs as that user. As root (CI containers), the master
runs as root and mail is accessed as the unprivileged `dovecot` account, which owns the mail
directory; Dovecot refuses mail access as uid 0.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from imapclient import IMAPClient

DOVECOT_BINARIES = ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot")


def find_dovecot() -> str | None:
    found = shutil.which("dovecot")
    if found:
        return found
    return next((b for b in DOVECOT_BINARIES if Path(b).exists()), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Dovecot:
    """A running Dovecot; `users` maps user name to password."""

    root: Path
    port: int
    proc: subprocess.Popen[bytes]
    config: Path
    binary: str
    users: dict[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"

    def client(self, user: str) -> IMAPClient:
        c = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        c.login(user, self.users[user])
        return c

    def append(self, user: str, raw: bytes, folder: str = "INBOX", flags: tuple[bytes, ...] = ()) -> None:
        with self.client(user) as c:
            c.append(folder, raw, flags=flags)

    def uids(self, user: str, folder: str = "INBOX") -> list[int]:
        with self.client(user) as c:
            if not c.folder_exists(folder):
                return []
            c.select_folder(folder, readonly=True)
            return sorted(c.search(["ALL"]))

    def uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        with self.client(user) as c:
            return int(c.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])

    def maildir(self, user: str) -> Path:
        return self.root / "mail" / user

    def reset_uidvalidity(self, user: str) -> None:
        """Forget the UID list of INBOX, as a restored backup or a migrated server would: new UIDVALIDITY."""
        self.stop()
        for name in ("dovecot-uidlist", "dovecot.index", "dovecot.index.cache", "dovecot.index.log",
                     "dovecot.list.index", "dovecot.list.index.log"):
            (self.maildir(user) / name).unlink(missing_ok=True)
        time.sleep(1.1)  # Dovecot takes the new UIDVALIDITY from the clock, in seconds
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen([self.binary, "-F", "-c", str(self.config)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _wait_port(self.host, self.port, self.proc, self.root / "dovecot.log")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


def _wait_port(host: str, port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"dovecot exited with {proc.returncode}: {err}\n{tail}")
        try:
            with socket.create_connection((host, port), timeout=0.5) as s:
                if s.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"dovecot did not listen on {host}:{port} within {timeout} s")


def _mail_account() -> tuple[str, int, int]:
    """(name, uid, gid) that owns and accesses the mail."""
    if os.geteuid() != 0:
        pw = pwd.getpwuid(os.geteuid())
        return pw.pw_name, pw.pw_uid, pw.pw_gid
    for name in ("dovecot", "mail", "nobody"):
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        return pw.pw_name, pw.pw_uid, pw.pw_gid
    raise RuntimeError("running as root but no unprivileged account (dovecot, mail, nobody) exists")


def _login_user() -> str:
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid()).pw_name
    for name in ("dovenull", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name).pw_name
    return _mail_account()[0]


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
default_internal_group = {internal_group}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{root}/mail/%u
mail_fsync = always
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
service doveadm {{
  inet_listener {{
    port = 0
  }}
}}
service stats {{
  inet_listener http {{
    port = 0
  }}
}}
protocol imap {{
  imap_idle_notify_interval = 2 mins
}}
"""


def start(users: dict[str, str], binary: str | None = None) -> Dovecot:
    """Start Dovecot with these users; the caller must `stop()` it."""
    binary = binary or find_dovecot()
    if binary is None:
        raise RuntimeError("dovecot is not installed")
    # As root the mail account must traverse this directory, so it cannot live in pytest's 0700 tmp.
    root = Path(tempfile.mkdtemp(prefix="coibot-dovecot-"))
    name, uid, gid = _mail_account()
    port = free_port()
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir()
    (root / "passwd").write_text("".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in users.items()))
    config = root / "dovecot.conf"
    import grp

    config.write_text(CONFIG.format(root=root, port=port, uid=uid, gid=gid, internal=name,
                                    internal_group=grp.getgrgid(gid).gr_name, login=_login_user()))
    if os.geteuid() == 0:
        root.chmod(0o755)
        (root / "passwd").chmod(0o644)
        for path in (root / "mail",):
            os.chown(path, uid, gid)
    server = Dovecot(root, port, subprocess.Popen(["true"]), config, binary, dict(users))
    server.proc.wait()
    server.start()
    return server


def cleanup(server: Dovecot) -> None:
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)
