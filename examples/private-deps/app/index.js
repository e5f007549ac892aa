// The app: a private npm package (@acme/greet, installed by the deps image with the npm token)
// greets the name exported by acme's private library (cloned by the lib image over SSH).
// CommonJS, like the packages it loads.
/* global require */
const { greet } = require('@acme/greet');
const lib = require('./vendor/acme-lib');

console.log(greet(lib.name));
