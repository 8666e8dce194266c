#!/usr/bin/python3
"""Print password-hash vectors made by Python libraries, for vectors.txt.

Run with Debian's /usr/bin/python3 after
`apt-get install python3-passlib python3-django python3-argon2 python3-bcrypt`.
Each block starts with a "# made by:" line; each vector line is the
password's UTF-8 bytes in hex, a tab, and the encoded hash. Salts are random,
so every run prints different but equally valid vectors.
"""

import sys

import argon2
import bcrypt
import django
import passlib
import passlib.hash as ph
from django.conf import settings

settings.configure()
django.setup()
from django.contrib.auth.hashers import PBKDF2PasswordHasher  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402

PASSWORDS = [
    "password",
    "contraseña",
    "Café con leche 2024!",
    "correct horse battery staple",
]
# Full-width letters: NFKC turns them into ASCII, so a hash made over these
# raw bytes only verifies through the un-normalised fallback.
FULLWIDTH = "ｐａｓｓｗｏｒｄ１２３"


def line(pw, encoded):
    print(pw.encode("utf-8").hex() + "\t" + encoded)


py = "Python %d.%d.%d" % sys.version_info[:3]

print("# made by: passlib %s (Debian python3-passlib), %s" % (passlib.__version__, py))
for pw in PASSWORDS:
    line(pw, ph.pbkdf2_sha256.using(rounds=1000).hash(pw))
line("password", ph.pbkdf2_sha256.using(rounds=29000).hash("password"))
line(FULLWIDTH, ph.pbkdf2_sha256.using(rounds=1000).hash(FULLWIDTH))
for pw in PASSWORDS:
    line(pw, ph.pbkdf2_sha512.using(rounds=1000).hash(pw))
line("password", ph.pbkdf2_sha512.using(rounds=25000, salt_size=32).hash("password"))
for pw in PASSWORDS:
    line(pw, ph.scrypt.using(rounds=10, block_size=8).hash(pw))
line("password", ph.scrypt.using(rounds=14, block_size=8).hash("password"))
line("password", ph.scrypt.using(rounds=8, block_size=4, parallelism=3).hash("password"))
line(FULLWIDTH, ph.scrypt.using(rounds=10).hash(FULLWIDTH))
line("password", ph.bcrypt.using(rounds=4).hash("password"))
line("contraseña", ph.bcrypt.using(rounds=5).hash("contraseña"))

print("# made by: bcrypt %s (Debian python3-bcrypt), %s" % (bcrypt.__version__, py))
for pw in PASSWORDS:
    line(pw, bcrypt.hashpw(pw.encode("utf-8"), bcrypt.gensalt(4)).decode())
line("password", bcrypt.hashpw(b"password", bcrypt.gensalt(10)).decode())
line("password", bcrypt.hashpw(b"password", bcrypt.gensalt(4, prefix=b"2a")).decode())

print("# made by: argon2-cffi %s (Debian python3-argon2), %s" % (argon2.__version__, py))
for pw in PASSWORDS:
    h = argon2.PasswordHasher(time_cost=2, memory_cost=256, parallelism=2)
    line(pw, h.hash(pw))
h = argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32)
line("password", h.hash("password"))
h = argon2.PasswordHasher(time_cost=3, memory_cost=128, parallelism=1,
                          type=argon2.Type.I)
line("password", h.hash("password"))
line("contraseña", h.hash("contraseña"))
h = argon2.PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
line(FULLWIDTH, h.hash(FULLWIDTH))

print("# made by: Django %s (Debian python3-django), %s" % (django.__version__, py))
hasher = PBKDF2PasswordHasher()
for pw in PASSWORDS:
    line(pw, hasher.encode(pw, get_random_string(22), 1000))
line("password", hasher.encode("password", get_random_string(12), 20000))
line("password", hasher.encode("password", hasher.salt(), hasher.iterations))
line(FULLWIDTH, hasher.encode(FULLWIDTH, get_random_string(22), 1000))
