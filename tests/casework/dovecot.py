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
{ssl}
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
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
"""


class Dovecot:
    user, password = "office@anytown-office.example", "mailbox-password-1"

    def __init__(self, tls=False):
        """`tls`: also listen for IMAPS on `tls_port` and offer STARTTLS, with a certificate for
        127.0.0.1 made for this run (`cert_file`, which no client trusts unless told to)."""
        self.host, self.port = "127.0.0.1", _free_port()
        self.tls, self.tls_port, self.cert_file = tls, (_free_port() if tls else 0), None
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
        ssl = "ssl = no"
        if self.tls:
            self.cert_file, key_file = _self_signed(self.root, self.host)
            ssl = f"ssl = yes\nssl_cert = <{self.cert_file}\nssl_key = <{key_file}"
        config = self.root / "dovecot.conf"
        config.write_text(
            CONFIG.format(root=self.root, port=self.port, tls_port=self.tls_port, users=users, ssl=ssl)
        )
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


def _self_signed(root, host):
    """A certificate for `host` (an IP address) and its key, written under `root`."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = root / "cert.pem", root / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_file.chmod(0o600)
    return cert_file, key_file
