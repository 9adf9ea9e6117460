"""A real IMAP server for the inbound-mail tests: Debian's dovecot (package dovecot-imapd), started
with its own config file in a temporary folder, on a free port of 127.0.0.1, with one passwd-file
user and a maildir in that folder. No system service is used or touched.

Mail is delivered with IMAP APPEND (as a mail server's delivery agent would put it in the box), and
read back through IMAP to see which messages are still unseen."""

import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.conftest import _free_port

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/Maildir
first_valid_uid = 1
{users}
passdb {{
  driver = passwd-file
  args = {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = {root}/passwd
}}
service imap-login {{
  chroot =
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
"""


class Dovecot:
    user, password = "office@anytown-office.example", "mailbox-password-1"

    def __init__(self):
        self.host, self.port = "127.0.0.1", _free_port()
        # Its own folder under /tmp, readable by the mail user (pytest's tmp_path is private to us).
        self.root = Path(tempfile.mkdtemp(prefix="labourhub-dovecot-"))
        self.root.chmod(0o755)
        self.process = None

    def start(self, timeout=20):
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir()
        if os.getuid() == 0:
            # dovecot will not read mail as root: the mailbox belongs to `nobody`, and dovecot's own
            # unprivileged users (created by the package) run its login and internal processes.
            mail_user = pwd.getpwnam("nobody")
            os.chown(self.root / "mail", mail_user.pw_uid, mail_user.pw_gid)
            users = "default_login_user = dovenull\ndefault_internal_user = dovecot"
        else:
            mail_user = pwd.getpwuid(os.getuid())
            users = f"default_login_user = {mail_user.pw_name}\ndefault_internal_user = {mail_user.pw_name}"
        (self.root / "passwd").write_text(
            f"{self.user}:{{PLAIN}}{self.password}:{mail_user.pw_uid}:{mail_user.pw_gid}::{self.root}/mail\n"
        )
        config = self.root / "dovecot.conf"
        config.write_text(CONFIG.format(root=self.root, port=self.port, users=users))
        self.process = subprocess.Popen(  # noqa: S603 (our own binary and config)
            [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot stopped: {self.process.stderr.read().decode()} {self.log()}")
            try:
                with self.client():
                    return
            except (OSError, imaplib.IMAP4.error):
                time.sleep(0.1)
        raise RuntimeError(f"dovecot did not answer on port {self.port}: {self.log()}")

    def log(self):
        path = self.root / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)

    def client(self):
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(self.user, self.password)
        client.select("INBOX")
        return client

    def deliver(self, raw):
        with self.client() as client:
            status, _ = client.append("INBOX", None, None, raw)
            assert status == "OK"

    def unseen(self):
        with self.client() as client:
            _, data = client.uid("SEARCH", None, "UNSEEN")
            return len(data[0].split())

    def count(self):
        with self.client() as client:
            _, data = client.uid("SEARCH", None, "ALL")
            return len(data[0].split())
