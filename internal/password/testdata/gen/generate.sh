#!/usr/bin/env bash
# Regenerate testdata/vectors.txt and testdata/firebase.txt from other
# tools. Nothing here downloads anything: install the tools first, as
# testdata/README.md says, and point NODE_PATH at the scratch node_modules.
#
#   NODE_PATH=/tmp/scratch/node_modules internal/password/testdata/gen/generate.sh
set -euo pipefail
cd "$(dirname "$0")"

: "${NODE_PATH:?set NODE_PATH to the node_modules holding the packages}"

{
  cat <<'EOF'
# Password hashes made by other tools, never by this package, so the tests
# check it against independent implementations. Regenerate with
# gen/generate.sh (see README.md); salts are random, so each run differs.
#
# Format: a "# made by:" line names the tool and version of the vectors
# that follow it. A vector line is the password's UTF-8 bytes in hex, a
# tab, and the encoded hash. Every vector must follow a "# made by:" line;
# the test enforces it.
EOF
  ./tools_vectors.sh
  /usr/bin/python3 python_vectors.py
  node node_vectors.cjs vectors
} >../vectors.txt

{
  cat <<'EOF'
# Firebase Authentication scrypt hashes, made by the firebase-scrypt npm
# package. Regenerate with gen/generate.sh (see README.md).
#
# Format: a "# made by:" line names the tool. A "project" line gives the
# project's hash parameters as the Firebase console shows them: base64
# signer key, base64 salt separator, rounds, mem_cost (tab-separated). The
# vector lines after it are the password's UTF-8 bytes in hex, the user's
# base64 salt and the base64 password hash, as "firebase auth:export"
# writes them.
#
# The first project and its vector are the sample in the README of
# Firebase's scrypt fork (github.com/firebase/scrypt), whose expected hash
# for "user1password" the tool reproduces.
EOF
  node node_vectors.cjs firebase
} >../firebase.txt
