// Print password-hash vectors made by Node.js packages, for vectors.txt and
// firebase.txt.
//
// Install the packages in a scratch directory first (never in this
// repository), then run with NODE_PATH pointing at its node_modules:
//
//   npm install bcryptjs@3.0.3 hash-wasm@4.13.0 argon2@0.45.1 firebase-scrypt@2.2.0
//   NODE_PATH=/tmp/scratch/node_modules node node_vectors.cjs vectors
//   NODE_PATH=/tmp/scratch/node_modules node node_vectors.cjs firebase
//
// Output lines are the password's UTF-8 bytes in hex, a tab, and the
// encoded hash, in blocks that start with a "# made by:" line.
'use strict'

const crypto = require('crypto')
const bcryptjs = require('bcryptjs')
const hashwasm = require('hash-wasm')
const argon2 = require('argon2')
const { FirebaseScrypt } = require('firebase-scrypt')

// Read versions from NODE_PATH: some packages do not export package.json.
const version = (name) => JSON.parse(require('fs').readFileSync(
  require('path').join(process.env.NODE_PATH, name, 'package.json'))).version
const node = `Node.js ${process.versions.node}`
const hex = (pw) => Buffer.from(pw, 'utf8').toString('hex')
const line = (pw, encoded) => console.log(`${hex(pw)}\t${encoded}`)
const nopad = (buf) => buf.toString('base64').replace(/=+$/, '')
// passlib's "ab64": standard base64 without padding, '+' written as '.'.
const ab64 = (buf) => nopad(buf).replace(/\+/g, '.')

const PASSWORDS = ['password', 'contraseña', 'Café con leche 2024!',
  'correct horse battery staple']

async function vectors () {
  console.log(`# made by: bcryptjs ${version('bcryptjs')}, ${node}`)
  for (const pw of PASSWORDS) line(pw, bcryptjs.hashSync(pw, 4))
  line('password', bcryptjs.hashSync('password', 6))

  console.log(`# made by: hash-wasm ${version('hash-wasm')}, ${node}`)
  for (const pw of PASSWORDS) {
    const salt = crypto.randomBytes(16)
    line(pw, await hashwasm.bcrypt({ password: pw, salt, costFactor: 4,
      outputType: 'encoded' }))
  }
  for (const pw of PASSWORDS) {
    line(pw, await hashwasm.argon2id({ password: pw, salt: crypto.randomBytes(16),
      iterations: 2, memorySize: 128, parallelism: 2, hashLength: 32,
      outputType: 'encoded' }))
  }
  line('password', await hashwasm.argon2i({ password: 'password',
    salt: crypto.randomBytes(12), iterations: 3, memorySize: 96, parallelism: 3,
    hashLength: 24, outputType: 'encoded' }))

  console.log(`# made by: argon2 (node-argon2) ${version('argon2')}, ${node}`)
  for (const pw of PASSWORDS) {
    line(pw, await argon2.hash(pw, { type: argon2.argon2id, memoryCost: 64,
      timeCost: 2, parallelism: 1 }))
  }
  line('password', await argon2.hash('password', { type: argon2.argon2i,
    memoryCost: 256, timeCost: 3, parallelism: 4 }))

  // Node's own KDFs give the raw key; this script writes the passlib
  // strings around it, so these vectors check the KDF and the base64
  // variants, not passlib's own formatting.
  console.log(`# made by: ${node} crypto.pbkdf2Sync and crypto.scryptSync`)
  for (const pw of PASSWORDS) {
    const salt = crypto.randomBytes(16)
    const dk = crypto.pbkdf2Sync(pw, salt, 1500, 32, 'sha256')
    line(pw, `$pbkdf2-sha256$1500$${ab64(salt)}$${ab64(dk)}`)
  }
  for (const pw of PASSWORDS) {
    const salt = crypto.randomBytes(16)
    const dk = crypto.pbkdf2Sync(pw, salt, 1500, 64, 'sha512')
    line(pw, `$pbkdf2-sha512$1500$${ab64(salt)}$${ab64(dk)}`)
  }
  for (const pw of PASSWORDS) {
    const salt = crypto.randomBytes(16)
    const dk = crypto.scryptSync(pw, salt, 32, { N: 1024, r: 8, p: 1 })
    line(pw, `$scrypt$ln=10,r=8,p=1$${nopad(salt)}$${nopad(dk)}`)
  }
}

// The sample project from the README of Firebase's own scrypt fork, whose
// expected output the first vector reproduces, plus other settings.
async function firebase () {
  console.log(`# made by: firebase-scrypt ${version('firebase-scrypt')}, ${node}`)
  const projects = [
    { memCost: 14, rounds: 8, saltSeparator: 'Bw==',
      signerKey: 'jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==' },
    { memCost: 10, rounds: 4, saltSeparator: crypto.randomBytes(2).toString('base64'),
      signerKey: crypto.randomBytes(64).toString('base64') },
  ]
  for (const p of projects) {
    const fs = new FirebaseScrypt(p)
    console.log(`project\t${p.signerKey}\t${p.saltSeparator}\t${p.rounds}\t${p.memCost}`)
    const users = p.memCost === 14
      ? [['user1password', '42xEC+ixf3L2lw==']]
      : PASSWORDS.map((pw) => [pw, crypto.randomBytes(10).toString('base64')])
    for (const [pw, salt] of users) {
      console.log(`${hex(pw)}\t${salt}\t${await fs.hash(pw, salt)}`)
    }
  }
}

const what = process.argv[2]
if (what === 'vectors') vectors()
else if (what === 'firebase') firebase()
else { console.error('usage: node_vectors.cjs vectors|firebase'); process.exit(2) }
