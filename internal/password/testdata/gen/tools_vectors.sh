#!/usr/bin/env bash
# Print password-hash vectors made by command-line tools, for vectors.txt.
#
# Needs Debian's argon2 (the reference implementation's CLI), apache2-utils
# (htpasswd) and openssl. Output lines are the password's UTF-8 bytes in
# hex, a tab, and the encoded hash, in blocks that start with "# made by:".
set -euo pipefail

hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
# passlib's "ab64" and plain unpadded base64, from hex on stdin.
ab64() { xxd -r -p | base64 -w0 | tr -d '=' | tr '+' '.'; }
b64() { xxd -r -p | base64 -w0 | tr -d '='; }
rand_hex() { openssl rand -hex "$1"; }

ver() { dpkg-query -W -f '${Version}' "$1"; }

# argon2 CLI: salt is an argument, password on stdin, -e prints PHC form.
echo "# made by: argon2 CLI, Debian argon2 $(ver argon2) (reference implementation)"
# The reference implementation's own test input (test.c): "password",
# "somesalt", t=2, m=2^16 KiB, p=1.
printf '%s\t%s\n' "$(hex password)" \
  "$(printf password | argon2 somesalt -id -t 2 -m 16 -p 1 -e)"
printf '%s\t%s\n' "$(hex password)" \
  "$(printf password | argon2 somesalt -i -t 2 -m 16 -p 1 -e)"
# The inputs of RFC 9106 section 5.3 (P = 32 x 0x01, S = 16 x 0x02,
# m = 32, t = 3, p = 4, 32-byte tag) but without the secret K and the
# associated data X, which neither this CLI nor x/crypto/argon2 accept.
pw=$(printf '\001%.0s' $(seq 32))
salt=$(printf '\002%.0s' $(seq 16))
printf '%s\t%s\n' "$(hex "$pw")" \
  "$(printf '%s' "$pw" | argon2 "$salt" -id -t 3 -k 32 -p 4 -l 32 -e)"
printf '%s\t%s\n' "$(hex "$pw")" \
  "$(printf '%s' "$pw" | argon2 "$salt" -i -t 3 -k 32 -p 4 -l 32 -e)"
for pw in password 'contraseña' 'Café con leche 2024!' 'correct horse battery staple'; do
  salt=$(rand_hex 8)
  printf '%s\t%s\n' "$(hex "$pw")" \
    "$(printf '%s' "$pw" | argon2 "$salt" -id -t 2 -k 19456 -p 1 -e)"
done
printf '%s\t%s\n' "$(hex password)" \
  "$(printf password | argon2 "$(rand_hex 12)" -id -t 1 -k 47104 -p 1 -e)"
printf '%s\t%s\n' "$(hex password)" \
  "$(printf password | argon2 "$(rand_hex 8)" -id -t 2 -k 19456 -p 1 -l 64 -e)"

echo "# made by: htpasswd -B, Debian apache2-utils $(ver apache2-utils)"
for pw in password 'contraseña' 'Café con leche 2024!'; do
  out=$(htpasswd -nbB -C 4 u "$pw")
  printf '%s\t%s\n' "$(hex "$pw")" "${out#u:}"
done
out=$(htpasswd -nbB -C 5 u 'correct horse battery staple')
printf '%s\t%s\n' "$(hex 'correct horse battery staple')" "${out#u:}"

# openssl kdf gives the raw key; this script writes the strings around it.
echo "# made by: openssl kdf, OpenSSL $(ver openssl)"
for pw in password 'contraseña'; do
  salt=$(rand_hex 16)
  dk=$(openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt "pass:$pw" \
    -kdfopt "hexsalt:$salt" -kdfopt iter:2000 PBKDF2 | tr -d ':\n')
  printf '%s\t$pbkdf2-sha256$2000$%s$%s\n' "$(hex "$pw")" \
    "$(ab64 <<<"$salt")" "$(ab64 <<<"$dk")"
  salt=$(rand_hex 16)
  dk=$(openssl kdf -keylen 64 -kdfopt digest:SHA512 -kdfopt "pass:$pw" \
    -kdfopt "hexsalt:$salt" -kdfopt iter:2000 PBKDF2 | tr -d ':\n')
  printf '%s\t$pbkdf2-sha512$2000$%s$%s\n' "$(hex "$pw")" \
    "$(ab64 <<<"$salt")" "$(ab64 <<<"$dk")"
  salt=$(rand_hex 16)
  dk=$(openssl kdf -keylen 32 -kdfopt "pass:$pw" -kdfopt "hexsalt:$salt" \
    -kdfopt n:2048 -kdfopt r:4 -kdfopt p:2 SCRYPT | tr -d ':\n')
  printf '%s\t$scrypt$ln=11,r=4,p=2$%s$%s\n' "$(hex "$pw")" \
    "$(b64 <<<"$salt")" "$(b64 <<<"$dk")"
done
