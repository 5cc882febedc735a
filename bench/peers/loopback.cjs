// Preloaded into a peer server (node --require ./loopback.cjs ...) so that whatever address it
// asks to listen on, it listens on 127.0.0.1 only: @bytebase/dbhub listens on 0.0.0.0, and the
// benchmark keeps everything it starts on loopback.
'use strict';
const net = require('node:net');

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (first !== null && typeof first === 'object' && !Array.isArray(first) && ('port' in first || 'host' in first)) {
    args[0] = { ...first, host: '127.0.0.1' };
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof args[1] === 'string') args[1] = '127.0.0.1';
    else args.splice(1, 0, '127.0.0.1');
  }
  return listen.apply(this, args);
};
