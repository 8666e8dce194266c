// Regenerate common-passwords.txt from @zxcvbn-ts/language-common.
//
// Install the package in a scratch directory (never in this repository):
//
//   npm install @zxcvbn-ts/language-common@4.1.3
//   node generate.cjs /tmp/scratch/node_modules/@zxcvbn-ts/language-common \
//     > common-passwords.txt
//
// The output is every entry of the package's passwords.json, lower-cased,
// without duplicates, sorted by byte value, one per line. The Go code
// binary-searches that text in place, so the order must stay bytewise.
'use strict'

const fs = require('fs')
const path = require('path')

const dir = process.argv[2]
if (!dir) {
  console.error('usage: node generate.cjs <path to @zxcvbn-ts/language-common>')
  process.exit(2)
}

const list = JSON.parse(fs.readFileSync(path.join(dir, 'src', 'passwords.json'), 'utf8'))
const seen = new Set()
for (const entry of list) {
  const pw = entry.toLowerCase()
  // Guard the format the Go side relies on: printable ASCII, no blanks.
  if (!/^[\x21-\x7e]+$/.test(pw)) {
    console.error(`skipping an entry outside printable ASCII: ${JSON.stringify(pw)}`)
    continue
  }
  seen.add(pw)
}
const sorted = [...seen].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
process.stdout.write(sorted.join('\n') + '\n')
